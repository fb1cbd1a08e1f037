"""Rule file ``commit.smk``: merge one round's slots into the library (``library.json``).

Each slot of the round is accepted (validated, planned, trained to the threshold, with
evaluation able to overrule training: :mod:`flowrl.pipeline.verdict`) or recorded as
rejected with its stage and reason, so the next prompt is told. Siblings that
propose the same skill keep the first; the rest are rejected as duplicates. K = 1 is a
round of one slot.
"""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import Any

from flowrl.envs.games import GameSpec, as_game
from flowrl.pipeline.layout import SlotPaths
from flowrl.pipeline.stages import Stage
from flowrl.pipeline.stages.common import add_env_argument
from flowrl.pipeline.stages.plan import SPEC_KEYS
from flowrl.pipeline.status import first_rejection, read_json
from flowrl.pipeline.verdict import EVALUATION, decide
from flowrl.skills.knowledge import kb_specs
from flowrl.skills.library import Library
from flowrl.skills.spec import SkillSpec
from flowrl.skills.trajectory import AnalysisError, apply_analysis


def _load(path: Path) -> dict[str, Any]:
    return read_json(path) if path.is_file() else {}


def commit_slot(lib: Any, slot: SlotPaths, accepted_now: dict[str, int]) -> dict[str, Any]:
    """Record slot ``slot`` in ``lib``; returns ``{"slot", "skill", "accepted", ...}``."""
    i = slot.index
    proposal = _load(slot.proposal)
    spec = {k: v for k, v in proposal.items() if k in SPEC_KEYS}
    name = str(spec.get("name") or f"(no proposal, slot {i})")
    found = first_rejection(slot.proposal, slot.validation, slot.plan)
    trained, evaluated = _load(slot.train), _load(slot.eval)
    verdict = decide(trained, evaluated) if found is None and trained else None
    if verdict is not None and verdict["decided_by"] == EVALUATION:  # overrules train.json
        found = None if verdict["accepted"] else {"stage": "evaluate", "reason": verdict["rule"]}
    elif found is None:
        found = first_rejection(slot.train)
    if found is None and name in accepted_now:
        found = {"stage": "commit", "reason": f"same skill as sibling slot {accepted_now[name]}"}
    if found is None and name in lib:
        found = {"stage": "commit", "reason": f"{name!r} is already in the library"}
    if found is not None:
        lib.reject(name, [found["reason"]], i, stage=found["stage"], proposal=spec or None)
        return {"slot": i, "skill": name, "accepted": False, **found}
    checkpoint = f"{slot.dir.name}/checkpoint"
    metrics = {
        "slot": i,
        "checkpoint": checkpoint,
        "success_rate": trained.get("success_rate"),
        "success_interval": trained.get("success_interval"),
        "success_policy": trained.get("success_policy"),
        "frames": trained.get("frames"),
        "eval_success_rate": (evaluated.get("greedy") or {}).get("success_rate"),
        "verdict": verdict,  # which number ruled acceptance, and why (flowrl.pipeline.verdict)
    }
    lib.add_skill(SkillSpec.from_dict(spec), slot.validated.read_text(), i, metrics=metrics)
    planned = read_json(slot.plan)
    held = trained.get("skills")  # None: a train.json from before it was recorded
    for step in [*planned.get("steps", []), *planned.get("upkeep", [])]:
        other = step["skill"]
        if other != name and other in lib and (held is None or other in held):
            lib.get(other).metrics["checkpoint"] = checkpoint  # trained further here
    _apply_analysis(lib, name, slot, i)
    accepted_now[name] = i
    return {"slot": i, "skill": name, "accepted": True}


def _apply_analysis(lib: Any, name: str, slot: SlotPaths, i: int) -> None:
    if not slot.analysis.is_file():
        return
    answer = read_json(slot.analysis)
    if not answer.get("changed") or answer.get("status"):
        return
    fields = {k: v for k, v in answer.items() if k in ("requirements", "consumption", "gain")}
    try:
        apply_analysis(lib, name, {**fields, "reason": answer.get("reason", "")}, i)
    except AnalysisError as exc:
        print(f"commit: analysis of {name!r} not applied: {exc}")


def commit(
    game: GameSpec | str, previous: str | Path, slots: list[SlotPaths], out: str | Path
) -> list[dict[str, Any]]:
    lib = Library.load(previous)
    accepted_now: dict[str, int] = {}
    results = [commit_slot(lib, slot, accepted_now) for slot in slots]
    with contextlib.suppress(ValueError, FileNotFoundError):  # games without a KB
        lib.update_frontier(kb_specs(as_game(game)))
    lib.save(out)
    for r in results:
        verdict = "accepted" if r["accepted"] else f"rejected at {r['stage']}: {r['reason']}"
        print(f"slot {r['slot']}: {r['skill']} {verdict}")
    return results


def _arguments(p: argparse.ArgumentParser) -> None:
    add_env_argument(p)
    p.add_argument("--previous", required=True, help="library.json before the round")
    p.add_argument("--slot-dirs", nargs="+", required=True, help="the round's slot folders")
    p.add_argument("--out", required=True, help="library.json after the round")


def _main(args: argparse.Namespace) -> int:
    commit(args.env, args.previous, [SlotPaths(Path(d)) for d in args.slot_dirs], args.out)
    return 0


STAGE = Stage("commit", "merge a round's slots into library.json", _arguments, _main)
