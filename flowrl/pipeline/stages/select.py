"""Rule file ``select.smk`` (``candidates: K`` > 1): pick the slot's reward code among its
candidates and copy the winner to the slot's own paths.

The winner has the best fresh-episode success after its probe (the better of the greedy and
sampled policies in ``eval.json``); ties go to fewer probe frames (training stops at the
success threshold), then to the earlier candidate. Candidates whose code or validation was
rejected never win while another one trained; when none did, candidate 0 stands, so its
rejection reaches ``commit``. The winner's ``skill.py``, ``code.json``, ``reward_plan.json``,
``validation.json`` and ``validated/`` become the slot's, so ``plan``, ``train`` (the full
budget), ``evaluate`` and ``commit`` run unchanged. ``candidates.json`` records every
candidate: status, design, probe frames and curve summary, success, LLM cost, the winner.
"""

from __future__ import annotations

import argparse
import csv
import shutil
from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic
from flowrl.llm.ledger import read_ledger, summarize
from flowrl.pipeline.layout import CANDIDATE_FILES, SLOT_FILES, candidate_dirs
from flowrl.pipeline.stages import Stage
from flowrl.pipeline.status import read_json, rejection

COPIED = ("skill", "code_status", "reward_plan", "validation")


def _json(path: Path) -> dict[str, Any]:
    return read_json(path) if path.is_file() else {}


def fresh_success(evaluation: dict[str, Any]) -> float | None:
    """The better fresh-episode success rate of the greedy and sampled policies."""
    rates = [(evaluation.get(policy) or {}).get("success_rate") for policy in ("greedy", "sampled")]
    found = [float(r) for r in rates if r is not None]
    return max(found) if found else None


def frames_to_threshold(metrics: Path, threshold: float | None) -> int | None:
    """Frames at the first logged point of the probe curve at or over ``threshold``."""
    if threshold is None or not metrics.is_file():
        return None
    with open(metrics) as fh:
        for row in csv.DictReader(fh):
            rate = row.get("success_rate")
            if rate and row.get("frames") and float(rate) >= float(threshold):
                return int(float(row["frames"]))
    return None


def candidate_record(index: int, folder: Path) -> dict[str, Any]:
    """What ``candidates.json`` says about one candidate."""
    f = {key: folder / name for key, name in CANDIDATE_FILES.items()}
    trained_at_all = (f["checkpoint"] / "metadata.json").is_file()
    trained, evaluated = _json(f["train"]), _json(f["eval"])
    found = None  # a probe under the threshold is not a rejection: it is ranked
    for key in ("code_status", "validation", "plan"):
        found = found or rejection(_json(f[key]))
    if found is None and not trained_at_all:
        found = rejection(trained) or {"stage": "train", "reason": "not trained"}
    ledger = list(read_ledger(f["ledger"])) if f["ledger"].is_file() else []
    llm = summarize(ledger)
    plan = _json(f["reward_plan"]).get("reward_plan") or {}
    return {
        "candidate": index,
        "design": plan.get("design", ""),
        "valid": _json(f["validation"]).get("ok") is True,
        "trained": trained_at_all,
        "status": "ok" if found is None else "rejected",
        "stage": None if found is None else found["stage"],
        "reason": None if found is None else found["reason"],
        "probe_frames": trained.get("frames"),
        "probe_success_rate": trained.get("success_rate"),
        "probe_reached_threshold": bool(trained.get("success")),
        "success_threshold": trained.get("success_threshold"),
        "frames_to_threshold": frames_to_threshold(f["metrics"], trained.get("success_threshold")),
        "eval_success_rate": fresh_success(evaluated) if trained_at_all else None,
        "llm_calls": llm["calls"],
        "prompt_tokens": llm["prompt_tokens"],
        "completion_tokens": llm["completion_tokens"],
        "cost_usd": llm["cost_usd"],
    }


def winner_of(records: list[dict[str, Any]]) -> int:
    """Best fresh-episode success, then fewer probe frames, then the earlier candidate."""
    trained = [r for r in records if r["trained"]]
    if not trained:
        return 0
    best = min(
        trained,
        key=lambda r: (
            -(r["eval_success_rate"] or 0.0),
            r["probe_frames"] if r["probe_frames"] is not None else float("inf"),
            r["candidate"],
        ),
    )
    return int(best["candidate"])


def select(slot_dir: str | Path, k: int, probe_timesteps: int | None = None) -> dict[str, Any]:
    """Rank slot ``slot_dir``'s ``k`` candidates, copy the winner, write ``candidates.json``."""
    slot = Path(slot_dir)
    folders = candidate_dirs(slot, k)
    records = [candidate_record(c, d) for c, d in enumerate(folders)]
    won = winner_of(records)
    for record in records:
        record["winner"] = record["candidate"] == won
    source = folders[won]
    for key in COPIED:
        shutil.copyfile(source / CANDIDATE_FILES[key], slot / SLOT_FILES[key])
    validated = slot / SLOT_FILES["validated_dir"]
    shutil.rmtree(validated, ignore_errors=True)
    shutil.copytree(source / CANDIDATE_FILES["validated_dir"], validated)
    doc = {
        "k": k,
        "winner": won,
        "probe_timesteps": probe_timesteps,
        "rule": "best fresh-episode success; ties: fewer probe frames, then earlier",
        "probe_frames_total": sum(int(r["probe_frames"] or 0) for r in records),
        "candidates": records,
    }
    write_json_atomic(slot / SLOT_FILES["candidates"], doc)
    return doc


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--slot-dir", required=True, help="skill_i (candidates/ in, winner out)")
    p.add_argument("--candidates", type=int, required=True, help="K, the number of candidates")
    p.add_argument("--probe-timesteps", type=int, default=None, help="each probe's budget")


def _main(args: argparse.Namespace) -> int:
    doc = select(args.slot_dir, args.candidates, args.probe_timesteps)
    for r in doc["candidates"]:
        mark = " <- winner" if r["winner"] else ""
        print(
            f"candidate {r['candidate']}: {r['status']} fresh success {r['eval_success_rate']} "
            f"probe frames {r['probe_frames']}{mark}"
        )
    return 0


STAGE = Stage(
    "select", "candidates/c*/ -> the winner's skill.py, validation.json", _arguments, _main
)
