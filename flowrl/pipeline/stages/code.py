"""Rule file ``code.smk``: ``proposal.json`` -> ``skill.py`` (LLM), with
``reward_plan.json`` (the dense-reward reasoning) beside it.

``code.json`` is the stage's verdict (``{"status": "ok"}``, or rejected with the reason
when the code answer stays malformed after the bounded re-asks), which ``validate`` passes
on. A slot rejected upstream gets placeholders (``skill.py`` says why; ``code.json`` and
``reward_plan.json`` carry the upstream rejection), so every declared output exists.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic, write_text_atomic
from flowrl.envs.games import GameSpec, as_game
from flowrl.llm import chain, prompts
from flowrl.llm.query import Query
from flowrl.llm.settings import LLMSettings
from flowrl.llm.types import ResponseFormatError
from flowrl.pipeline.layout import SLOT_FILES
from flowrl.pipeline.stage_lines import code_line
from flowrl.pipeline.stages import Stage
from flowrl.pipeline.stages.common import (
    add_env_argument,
    add_llm_arguments,
    llm_kwargs,
    query_for,
    read_optional_json,
    usage_of,
)
from flowrl.pipeline.status import OK, first_rejection, read_json, rejected, skipped


def write_code(
    game: GameSpec | str,
    proposal: str | Path,
    library: str | Path | None,
    out: str | Path,
    *,
    ledger: str | Path | None,
    llm_name: str | None = None,
    settings: LLMSettings | None = None,
    query: Query | None = None,
    earlier: list[dict[str, Any]] | None = None,
) -> str:
    """Ask for the skill's code: ``skill.py`` and ``reward_plan.json``; returns the source.

    ``earlier``: other candidates' ``{"source", "reward_plan"}`` this answer must differ
    from (``candidates: K``). Raises :class:`ResponseFormatError` when the answers stay
    malformed."""
    q = query_for(llm_name, settings, query)
    spec = prompts.spec_only(read_json(proposal))
    result = chain.write_code(
        q, as_game(game), spec, read_optional_json(library), ledger=ledger, earlier=earlier
    )
    source = result.value["source"]
    write_text_atomic(out, source)
    write_json_atomic(
        Path(out).with_name(SLOT_FILES["reward_plan"]),
        {"reward_plan": result.value["reward_plan"], "_llm": usage_of(result)},
    )
    return source


def code(
    game: GameSpec | str,
    proposal: str | Path,
    library: str | Path | None,
    out: str | Path,
    *,
    ledger: str | Path | None,
    llm_name: str | None = None,
    settings: LLMSettings | None = None,
    query: Query | None = None,
    earlier: list[dict[str, Any]] | None = None,
) -> None:
    """The stage: :func:`write_code`, or the placeholder and ``code.json`` of a rejection."""
    status = Path(out).with_name(SLOT_FILES["code_status"])
    reward_plan = Path(out).with_name(SLOT_FILES["reward_plan"])
    status.unlink(missing_ok=True)
    upstream = first_rejection(proposal)
    if upstream:
        write_text_atomic(out, f"# no skill: {upstream['stage']} rejected the slot\n")
        write_json_atomic(reward_plan, skipped("code", upstream))
        write_json_atomic(status, skipped("code", upstream))
        return
    try:
        write_code(
            game,
            proposal,
            library,
            out,
            ledger=ledger,
            llm_name=llm_name,
            settings=settings,
            query=query,
            earlier=earlier,
        )
    except ResponseFormatError as exc:
        write_text_atomic(out, f"# no skill: the code answer stayed malformed: {exc}\n")
        doc = rejected("code", f"no usable code: {exc}")
        write_json_atomic(reward_plan, doc)
        write_json_atomic(status, doc)
        return
    write_json_atomic(status, {"status": OK})


def _arguments(p: argparse.ArgumentParser) -> None:
    add_env_argument(p)
    add_llm_arguments(p)
    p.add_argument("--proposal", required=True, help="proposal.json")
    p.add_argument("--library", required=True, help="library.json before this round")
    p.add_argument("--out", required=True, help="skill.py")


def _main(args: argparse.Namespace) -> int:
    code(
        args.env,
        args.proposal,
        args.library,
        args.out,
        **llm_kwargs(args),
    )
    print(code_line(read_json(Path(args.out).with_name(SLOT_FILES["code_status"])), args.ledger))
    return 0


STAGE = Stage("code", "proposal.json -> skill.py (LLM)", _arguments, _main)
