"""Slot stages around the LLM layer: init, prompt, propose, code, validate.

They call :mod:`flowrl.llm.steps` and turn an answer that stays malformed after the
bounded re-asks into a rejected slot (the next prompt is told). Errors that no retry can
fix (missing key, unknown model, exhausted retries) fail the job loudly instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic, write_text_atomic
from flowrl.pipeline.status import first_rejection, read_json, rejected, skipped


def llm_settings(overrides: dict[str, Any] | None, cache_dir: str | None):
    """LLM settings from config files plus the workflow's ``llm:`` section and cache dir."""
    from flowrl.llm.settings import load_settings

    extra = dict(overrides or {})
    if cache_dir:
        extra["cache_dir"] = cache_dir
    return load_settings(extra or None)


def init_library(env_name: str, out: str | Path) -> None:
    """``init/library.json``: the empty library (frontier from the knowledge base if any)."""
    from flowrl.skills.library import Library

    lib = Library(env_name=env_name)
    try:
        from flowrl.skills.knowledge import kb_specs

        lib.update_frontier(kb_specs(env_name))
    except (ValueError, FileNotFoundError):
        pass  # games without a knowledge base start with an empty frontier
    lib.save(out)


def sibling_names(proposals: list[str | Path]) -> list[str]:
    names = []
    for path in proposals:
        doc = read_json(path)
        if doc.get("name") and doc.get("status") is None:
            names.append(str(doc["name"]))
    return names


def prompt(env_name: str, library: str | Path, out: str | Path, siblings: list[str]) -> None:
    from flowrl.llm.steps import prompt_step

    prompt_step(env_name, library, out, siblings=sibling_names(siblings) or None)


def propose(
    env_name: str,
    llm_name: str,
    prompt_json: str | Path,
    library: str | Path,
    out: str | Path,
    ledger: str | Path,
    settings: Any,
) -> dict[str, Any]:
    from flowrl.llm.errors import ResponseFormatError
    from flowrl.llm.steps import propose_step

    try:
        return propose_step(
            env_name, prompt_json, library, out, ledger=ledger, llm_name=llm_name, settings=settings
        )
    except ResponseFormatError as exc:
        doc = rejected("propose", f"no usable proposal: {exc}")
        write_json_atomic(out, doc)
        return doc


def code(
    env_name: str,
    llm_name: str,
    proposal: str | Path,
    library: str | Path,
    out: str | Path,
    ledger: str | Path,
    settings: Any,
) -> None:
    from flowrl.llm.errors import ResponseFormatError
    from flowrl.llm.steps import code_step

    Path(out).with_name("code.json").unlink(missing_ok=True)
    upstream = first_rejection(proposal)
    if upstream:
        write_text_atomic(out, f"# no skill: {upstream['stage']} rejected the slot\n")
        return
    try:
        code_step(
            env_name, proposal, library, out, ledger=ledger, llm_name=llm_name, settings=settings
        )
    except ResponseFormatError as exc:
        write_text_atomic(out, f"# no skill: the code answer stayed malformed: {exc}\n")
        write_json_atomic(
            Path(out).with_name("code.json"), rejected("code", f"no usable code: {exc}")
        )


def validate(
    env_name: str,
    llm_name: str,
    skill: str | Path,
    proposal: str | Path,
    slot_dir: str | Path,
    ledger: str | Path,
    settings: Any,
) -> dict[str, Any]:
    from flowrl.llm.steps import validate_step

    slot_dir = Path(slot_dir)
    out = slot_dir / "validation.json"
    stale = slot_dir / "validated" / "skill.py"
    stale.unlink(missing_ok=True)
    upstream = first_rejection(proposal, slot_dir / "code.json")
    if upstream:
        doc = {"ok": False, "reasons": [upstream["reason"]], **skipped("validate", upstream)}
        write_json_atomic(out, doc)
        return doc
    return validate_step(
        env_name, skill, proposal, slot_dir, ledger=ledger, llm_name=llm_name, settings=settings
    )
