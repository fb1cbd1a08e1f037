"""Rule file ``propose.smk``: ``prompt.json`` -> ``proposal.json`` (LLM).

The proposal is a skill spec (name, description, requirements, consumption, gain,
ephemeral) that ``SkillSpec.from_dict`` accepts. An answer that stays malformed after the
bounded re-asks rejects the slot (the next prompt is told); errors no retry can fix
(missing key, unknown model, exhausted retries) fail the job.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic
from flowrl.envs.games import GameSpec, as_game
from flowrl.llm import chain
from flowrl.llm.query import Query
from flowrl.llm.settings import LLMSettings
from flowrl.llm.types import ResponseFormatError
from flowrl.pipeline.stage_lines import proposal_line
from flowrl.pipeline.stages import Stage
from flowrl.pipeline.stages.common import (
    add_env_argument,
    add_llm_arguments,
    llm_kwargs,
    query_for,
    read_optional_json,
    usage_of,
)
from flowrl.pipeline.status import read_json, rejected


def propose(
    game: GameSpec | str,
    prompt_json: str | Path,
    library: str | Path | None,
    out: str | Path,
    *,
    ledger: str | Path | None,
    llm_name: str | None = None,
    settings: LLMSettings | None = None,
    query: Query | None = None,
) -> dict[str, Any]:
    """Write ``proposal.json``; returns it, with token usage under ``_llm`` (the usage is
    in the ledger too). A rejected slot's ``proposal.json`` says why."""
    game = as_game(game)
    q = query_for(llm_name, settings, query)
    messages = read_json(prompt_json)["messages"]
    try:
        result = chain.propose(q, game, messages, read_optional_json(library), ledger=ledger)
    except ResponseFormatError as exc:
        doc = rejected("propose", f"no usable proposal: {exc}")
        write_json_atomic(out, doc)
        return doc
    write_json_atomic(out, result.value)
    return {**result.value, "_llm": {"llm_name": q.llm_name, **usage_of(result)}}


def _arguments(p: argparse.ArgumentParser) -> None:
    add_env_argument(p)
    add_llm_arguments(p)
    p.add_argument("--prompt", required=True, help="prompt.json")
    p.add_argument("--library", required=True, help="library.json before this round")
    p.add_argument("--out", required=True, help="proposal.json")


def _main(args: argparse.Namespace) -> int:
    doc = propose(
        args.env,
        args.prompt,
        args.library,
        args.out,
        **llm_kwargs(args),
    )
    print(proposal_line(doc, args.ledger))
    return 0


STAGE = Stage("propose", "prompt.json -> proposal.json (LLM)", _arguments, _main)
