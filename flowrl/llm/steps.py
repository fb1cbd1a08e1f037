"""File-level LLM steps of the workflow (`prompt`, `propose`, `code`, `validate`, `analyse`).

Each function reads the files a Snakemake rule names, runs one chain step
(:mod:`flowrl.llm.chain`) and writes its outputs atomically. Every LLM call appends to the
ledger the caller names (``results/{env}/{llm}/skill_{i}/llm_calls.jsonl``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic, write_text_atomic
from flowrl.llm import chain
from flowrl.llm.providers import get_query
from flowrl.llm.query import PathLike, Query
from flowrl.llm.settings import LLMSettings


def read_json(path: PathLike | None) -> Any:
    return None if path is None else json.loads(Path(path).read_text())


def _query(llm_name: str | None, settings: LLMSettings | None, query: Query | None) -> Query:
    return query if query is not None else get_query(llm_name, settings=settings)


def _usage(result: chain.StepResult) -> dict[str, Any]:
    return {
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "cost_usd": result.cost_usd,
        "calls": sum(len(a.completions) for a in result.answers),
    }


def prompt_step(
    env_name: str,
    library_path: PathLike | None,
    out_path: PathLike,
    siblings: list[str] | None = None,
) -> list[dict]:
    """`prompt`: library state -> ``prompt.json`` (the propose messages). No LLM call.

    ``siblings`` names the skills already proposed in the same parallel round."""
    messages = chain.build_prompt(env_name, read_json(library_path), siblings)
    write_json_atomic(out_path, {"env_name": env_name, "messages": messages})
    return messages


def propose_step(
    env_name: str,
    prompt_path: PathLike,
    library_path: PathLike | None,
    out_path: PathLike,
    *,
    ledger: PathLike | None,
    llm_name: str | None = None,
    settings: LLMSettings | None = None,
    query: Query | None = None,
) -> dict[str, Any]:
    """`propose`: ``prompt.json`` -> ``proposal.json``, a skill spec (name, description,
    requirements, consumption, gain, ephemeral) that ``SkillSpec.from_dict`` accepts.

    Token usage is in the ledger; the returned dict adds it under ``_llm``.
    """
    q = _query(llm_name, settings, query)
    prompt = read_json(prompt_path)
    result = chain.propose(q, env_name, prompt["messages"], read_json(library_path), ledger=ledger)
    write_json_atomic(out_path, result.value)
    return {**result.value, "_llm": {"llm_name": q.llm_name, **_usage(result)}}


def code_step(
    env_name: str,
    proposal_path: PathLike,
    library_path: PathLike | None,
    out_path: PathLike,
    *,
    ledger: PathLike | None,
    llm_name: str | None = None,
    settings: LLMSettings | None = None,
    query: Query | None = None,
) -> str:
    """`code`: ``proposal.json`` -> ``skill.py`` (and ``reward_plan.json`` beside it)."""
    q = _query(llm_name, settings, query)
    spec = chain.ctx.spec_only(read_json(proposal_path))
    result = chain.write_code(q, env_name, spec, read_json(library_path), ledger=ledger)
    source = result.value["source"]
    write_text_atomic(out_path, source)
    write_json_atomic(
        Path(out_path).with_name("reward_plan.json"),
        {"reward_plan": result.value["reward_plan"], "_llm": _usage(result)},
    )
    return source


def validate_step(
    env_name: str,
    skill_path: PathLike,
    proposal_path: PathLike,
    out_dir: PathLike,
    *,
    ledger: PathLike | None,
    llm_name: str | None = None,
    settings: LLMSettings | None = None,
    query: Query | None = None,
    validate: chain.Validator = chain.default_validator,
) -> dict[str, Any]:
    """`validate`: ``skill.py`` -> ``validation.json`` and, when valid, ``validated/skill.py``.

    Invalid code after the bounded repairs gives ``ok: false`` with the validator's reasons
    and no ``validated/skill.py``, so the commit step records the slot as rejected.
    """
    q = _query(llm_name, settings, query)
    name = read_json(proposal_path)["name"]
    source = Path(skill_path).read_text()
    result = chain.validate_with_repair(q, env_name, name, source, validate=validate, ledger=ledger)
    out = Path(out_dir)
    value = result.value
    report = {
        "ok": value["ok"],
        "skill": name,
        "reasons": value["reasons"],
        "repairs": len(value["rounds"]) - 1,
        "rounds": [{"ok": r["ok"], "reasons": r["reasons"]} for r in value["rounds"]],
        "_llm": _usage(result),
    }
    if value["ok"]:
        write_text_atomic(out / "validated" / "skill.py", value["source"])
    write_json_atomic(out / "validation.json", report)
    return report


def analyse_step(
    env_name: str,
    proposal_path: PathLike,
    rollout_path: PathLike,
    out_path: PathLike,
    *,
    ledger: PathLike | None,
    llm_name: str | None = None,
    settings: LLMSettings | None = None,
    query: Query | None = None,
) -> dict[str, Any]:
    """`analyse`: spec + rollout summary -> ``analysis.json``.

    The rollout file holds the text of ``summarize_trajectory`` (or JSON). ``analysis.json``
    is ``{"name", "requirements", "consumption", "gain", "reason", "changed"}``; pass it
    without ``changed`` to ``flowrl.skills.trajectory.apply_analysis``.
    """
    q = _query(llm_name, settings, query)
    spec = chain.ctx.spec_only(read_json(proposal_path))
    text = Path(rollout_path).read_text()
    try:
        rollout: Any = json.loads(text)
    except json.JSONDecodeError:
        rollout = text
    result = chain.analyse(q, env_name, spec, rollout, ledger=ledger)
    write_json_atomic(out_path, result.value)
    return {**result.value, "_llm": _usage(result)}
