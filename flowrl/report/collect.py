"""Read one output tree into rows: one per skill slot (verdict, training, eval, LLM cost)."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

from flowrl.llm.ledger import read_ledger, summarize
from flowrl.pipeline.layout import (
    CANDIDATE_FILES,
    CANDIDATES_DIR,
    SLOT_FILES,
    SLOT_PREFIX,
    init_library,
)
from flowrl.pipeline.verdict import decide

SLOT_DIR = re.compile(rf"^{SLOT_PREFIX}(\d+)$")
COLUMNS = (
    "slot",
    "skill",
    "accepted",
    "stage",
    "reason",
    "decided_by",
    "verdict_rule",
    "plan_steps",
    "frames",
    "success_rate",
    "success_interval",
    "eval_greedy_success_rate",
    "eval_sampled_success_rate",
    "eval_sampled_within_horizon",
    "eval_sampled_interval",
    "achievements",
    "llm_calls",
    "cache_hits",
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "cost_usd",
    "wall_s",
    "committed_after_s",
    "models",
)

# what a run's console summary shows per slot (flowrl demo, benchmarks/depth_run.py)
SUMMARY_COLUMNS = (
    "slot",
    "skill",
    "accepted",
    "reason",
    "plan_steps",
    "frames",
    "success_rate",
    "success_interval",
    "eval_sampled_within_horizon",
    "eval_sampled_interval",
    "eval_greedy_success_rate",
    "wall_s",
    "committed_after_s",
)

# with ``candidates: K`` > 1 (``skill_i/candidates.json``): per candidate, in order,
# space-separated; the winner's entry is starred. Absent from a tree without candidates.
CANDIDATE_COLUMNS = (
    "candidates",
    "candidate_winner",
    "candidate_design",
    "candidate_success",
    "candidate_probe_frames",
    "candidate_frames_to_threshold",
    "candidate_cost_usd",
    "probe_frames_total",
)


def _interval(bounds: Any) -> str:
    """A 95% Wilson interval [low, high] as ``low-high`` (empty without one)."""
    return f"{bounds[0]:.2f}-{bounds[1]:.2f}" if bounds else ""


def _json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text()) if path.is_file() else {}
    except json.JSONDecodeError:
        return {}


def slot_dirs(tree: Path) -> list[Path]:
    found = [
        (int(m.group(1)), p) for p in tree.glob(f"{SLOT_PREFIX}*") if (m := SLOT_DIR.match(p.name))
    ]
    return [p for _, p in sorted(found)]


def final_library(tree: Path) -> dict[str, Any]:
    """The library of the last committed slot (empty when nothing was committed)."""
    for path in reversed(slot_dirs(tree)):
        if (path / SLOT_FILES["library"]).is_file():
            return _json(path / SLOT_FILES["library"])
    return {}


def verdicts(library: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Slot -> {skill, accepted, stage, reason} from a library state."""
    out: dict[int, dict[str, Any]] = {}
    for s in library.get("skills", []):
        out[int(s["iteration"])] = {"skill": s["name"], "accepted": True, "stage": "", "reason": ""}
    for r in library.get("rejected", []):
        out[int(r["iteration"])] = {
            "skill": r["name"],
            "accepted": False,
            "stage": r.get("stage", ""),
            "reason": "; ".join(r.get("reasons", [])),
        }
    return out


def ledger_totals(slot: Path) -> dict[str, Any]:
    """LLM totals of a slot: its ledger and its candidates' ledgers."""
    paths = [slot / SLOT_FILES["ledger"]]
    paths += sorted((slot / CANDIDATES_DIR).glob(f"*/{CANDIDATE_FILES['ledger']}"))
    records = [r for path in paths if path.is_file() for r in read_ledger(path)]
    total = summarize(records)
    total["models"] = sorted({str(r.get("llm_name")) for r in records})
    return total


def wall_seconds(slot: Path) -> float:
    """Sum of the Snakemake benchmark wall times of the slot's rules (and its candidates')."""
    total = 0.0
    paths = [
        *(slot / "benchmarks").glob("*.tsv"),
        *(slot / CANDIDATES_DIR).glob("*/benchmarks/*.tsv"),
    ]
    for path in paths:
        with open(path) as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        total += sum(float(r.get("s") or 0.0) for r in rows[-1:])
    return round(total, 1)


def committed_after_s(tree: Path, slot: Path) -> float | None:
    """Seconds from the tree's start (``init/library.json`` written) to the slot's commit
    (its ``library.json``); None before the commit and for a round's non-committing slots.
    A resumed tree counts its pauses too."""
    start, done = init_library(tree), slot / SLOT_FILES["library"]
    if not (start.is_file() and done.is_file()):
        return None
    return round(done.stat().st_mtime - start.stat().st_mtime, 1)


def achievements(evaluation: dict[str, Any]) -> list[str]:
    """Achievements unlocked in any evaluated episode (greedy or sampled)."""
    names: set[str] = set()
    for policy in ("greedy", "sampled"):
        for name, pct in ((evaluation.get(policy) or {}).get("achievements_pct") or {}).items():
            if pct > 0:
                names.add(name)
    return sorted(names)


def _each(records: list[dict[str, Any]], key: str, winner: int) -> str:
    def one(r: dict[str, Any]) -> str:
        value = r.get(key)
        if value is None or value == "":
            text = "-"
        else:
            text = f"{value:.3g}" if isinstance(value, float) else str(value)
        return text.replace(" ", "_") + ("*" if r["candidate"] == winner else "")

    return " ".join(one(r) for r in records)


def candidate_columns(slot: Path) -> dict[str, Any]:
    """The :data:`CANDIDATE_COLUMNS` of a slot (empty without ``candidates.json``)."""
    doc = _json(slot / SLOT_FILES["candidates"])
    if not doc:
        return {}
    records, won = doc.get("candidates") or [], int(doc.get("winner", 0))
    return {
        "candidates": len(records),
        "candidate_winner": won,
        "candidate_design": _each(records, "design", won),
        "candidate_success": _each(records, "eval_success_rate", won),
        "candidate_probe_frames": _each(records, "probe_frames", won),
        "candidate_frames_to_threshold": _each(records, "frames_to_threshold", won),
        "candidate_cost_usd": _each(records, "cost_usd", won),
        "probe_frames_total": doc.get("probe_frames_total"),
    }


def tree_rows(tree: str | Path) -> list[dict[str, Any]]:
    tree = Path(tree)
    verdict = verdicts(final_library(tree))
    rows = []
    for slot in slot_dirs(tree):
        i = int(SLOT_DIR.match(slot.name).group(1))  # type: ignore[union-attr]
        proposal, trained, evaluated = (
            _json(slot / SLOT_FILES["proposal"]),
            _json(slot / SLOT_FILES["train"]),
            _json(slot / SLOT_FILES["eval"]),
        )
        v = verdict.get(i) or {
            "skill": proposal.get("name", ""),
            "accepted": None,
            "stage": "",
            "reason": "not committed yet",
        }
        llm = ledger_totals(slot)
        sampled = evaluated.get("sampled") or {}
        ruled = decide(trained, evaluated) if trained.get("success_threshold") else {}
        rows.append(
            {
                "slot": i,
                **v,
                # which of the two success numbers below ruled acceptance, and the rule
                "decided_by": ruled.get("decided_by", ""),
                "verdict_rule": ruled.get("rule", ""),
                "plan_steps": len(_json(slot / SLOT_FILES["plan"]).get("steps") or []) or None,
                "frames": trained.get("frames"),
                "success_rate": trained.get("success_rate"),
                "success_interval": _interval(trained.get("success_interval")),
                "eval_greedy_success_rate": (evaluated.get("greedy") or {}).get("success_rate"),
                "eval_sampled_success_rate": sampled.get("success_rate"),
                # success within the training horizon (the acceptance's measure) and its
                # interval; the success rates above count completions at any episode length
                "eval_sampled_within_horizon": sampled.get("success_within_horizon"),
                "eval_sampled_interval": _interval(sampled.get("success_interval")),
                "achievements": " ".join(achievements(evaluated)),
                "llm_calls": llm["calls"],
                "cache_hits": llm["cache_hits"],
                "prompt_tokens": llm["prompt_tokens"],
                "completion_tokens": llm["completion_tokens"],
                "reasoning_tokens": llm["reasoning_tokens"],
                "cost_usd": llm["cost_usd"],
                "wall_s": wall_seconds(slot),
                "committed_after_s": committed_after_s(tree, slot),
                "models": " ".join(llm["models"]),
                **candidate_columns(slot),
            }
        )
    return rows
