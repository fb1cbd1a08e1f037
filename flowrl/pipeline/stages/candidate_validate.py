"""Rule file ``candidate_validate.smk`` (``candidates: K`` > 1): candidate ``c``'s code
validated in the sandbox with bounded LLM repair, as the ``validate`` stage does for a slot.

Writes ``skill_i/candidates/c{c}/validation.json`` and ``validated/`` (``skill.py`` only when
valid); the repairs' LLM calls go to the candidate's own ``llm_calls.jsonl``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from flowrl.pipeline.layout import CANDIDATE_FILES
from flowrl.pipeline.stages import Stage
from flowrl.pipeline.stages.common import add_env_argument, add_llm_arguments, llm_kwargs
from flowrl.pipeline.stages.validate import validate


def _arguments(p: argparse.ArgumentParser) -> None:
    add_env_argument(p)
    add_llm_arguments(p)
    p.add_argument("--proposal", required=True, help="proposal.json")
    p.add_argument("--candidate-dir", required=True, help="skill_i/candidates/c{c}")


def _main(args: argparse.Namespace) -> int:
    folder = Path(args.candidate_dir)
    doc = validate(
        args.env,
        folder / CANDIDATE_FILES["skill"],
        args.proposal,
        folder,
        **llm_kwargs(args),
    )
    print(f"candidate validation: {'ok' if doc['ok'] else '; '.join(doc['reasons'])}")
    return 0


STAGE = Stage(
    "candidate_validate",
    "candidates/c{c}/skill.py -> validation.json (+ validated/skill.py), LLM repair",
    _arguments,
    _main,
)
