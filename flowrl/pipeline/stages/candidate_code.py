"""Rule file ``candidate_code.smk`` (``candidates: K`` > 1): the LLM writes candidate ``c``
of the slot's reward/termination code, told candidates ``0..c-1`` so it differs.

Writes ``skill_i/candidates/c{c}/`` ``skill.py``, ``code.json`` and ``reward_plan.json``
exactly as the ``code`` stage writes them for a slot (a rejection upstream or a malformed
answer gives the same placeholders); the candidate's LLM calls go to its own
``llm_calls.jsonl``. Earlier candidates whose code was rejected are not shown.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from flowrl.envs.games import GameSpec
from flowrl.llm.query import Query
from flowrl.llm.settings import LLMSettings
from flowrl.pipeline.layout import CANDIDATE_FILES
from flowrl.pipeline.stages import Stage
from flowrl.pipeline.stages.code import code
from flowrl.pipeline.stages.common import add_env_argument, add_llm_arguments, llm_kwargs
from flowrl.pipeline.status import OK, read_json


def earlier_candidates(dirs: list[str | Path]) -> list[dict[str, Any]]:
    """``{"source", "reward_plan"}`` of the earlier candidates whose code was written."""
    out = []
    for d in map(Path, dirs):
        status = read_json(d / CANDIDATE_FILES["code_status"])
        if status.get("status") != OK:
            continue
        plan = read_json(d / CANDIDATE_FILES["reward_plan"]).get("reward_plan")
        out.append({"source": (d / CANDIDATE_FILES["skill"]).read_text(), "reward_plan": plan})
    return out


def candidate_code(
    game: GameSpec | str,
    proposal: str | Path,
    library: str | Path | None,
    candidate_dir: str | Path,
    earlier_dirs: list[str | Path],
    *,
    ledger: str | Path | None,
    llm_name: str | None = None,
    settings: LLMSettings | None = None,
    query: Query | None = None,
) -> None:
    """Candidate ``candidate_dir``'s code, differing from ``earlier_dirs``' candidates."""
    out = Path(candidate_dir) / CANDIDATE_FILES["skill"]
    out.parent.mkdir(parents=True, exist_ok=True)
    code(
        game,
        proposal,
        library,
        out,
        ledger=ledger,
        llm_name=llm_name,
        settings=settings,
        query=query,
        earlier=earlier_candidates(earlier_dirs),
    )


def _arguments(p: argparse.ArgumentParser) -> None:
    add_env_argument(p)
    add_llm_arguments(p)
    p.add_argument("--proposal", required=True, help="proposal.json")
    p.add_argument("--library", required=True, help="library.json before this round")
    p.add_argument("--candidate-dir", required=True, help="skill_i/candidates/c{c}")
    p.add_argument("--earlier", nargs="*", default=[], help="folders of candidates 0..c-1")


def _main(args: argparse.Namespace) -> int:
    candidate_code(
        args.env,
        args.proposal,
        args.library,
        args.candidate_dir,
        args.earlier,
        **llm_kwargs(args),
    )
    status = read_json(Path(args.candidate_dir) / CANDIDATE_FILES["code_status"])
    print(f"candidate code: {status.get('status')} {status.get('reason', '')}")
    return 0


STAGE = Stage(
    "candidate_code",
    "proposal.json + earlier candidates -> candidates/c{c}/skill.py (LLM)",
    _arguments,
    _main,
)
