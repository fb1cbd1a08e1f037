"""Compare the trees (one per model) of one game: skills, achievements, Crafter score,
dollars, tokens, frames; plus one row per plain-PPO baseline budget found beside them."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from flowrl.pipeline.layout import (
    SLOT_FILES,
    TREE_FILES,
    baseline_root,
    slot_path,
    start_from_record,
)
from flowrl.report.achievements import SCORE, baseline_policy, deepest
from flowrl.report.collect import achievements, slot_dirs, tree_rows
from flowrl.report.plots import model_bars
from flowrl.report.tables import write_csv, write_markdown

COLUMNS = (
    "model",
    "tree",
    "crafter_score",
    "crafter_score_ci",
    "deepest_achievement",
    "slots",
    "skills_accepted",
    "skills",
    "achievements",
    "achievement_names",
    "llm_calls",
    "prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "cost_usd",
    "cost_per_skill_usd",
    "tokens_per_skill",
    "frames",
    "start_from",
)


def trees(root: Path) -> list[Path]:
    """Sub-folders of ``root`` that hold skill slots (``comparison/`` is not one)."""
    return sorted(p for p in root.iterdir() if p.is_dir() and slot_dirs(p))


def has_committed_slot(tree: Path) -> bool:
    """Whether any slot of ``tree`` was committed (holds its ``library.json``)."""
    return any((p / SLOT_FILES["library"]).is_file() for p in slot_dirs(tree))


def tree_model(tree: Path, rows: list[dict[str, Any]] | None = None) -> str:
    """The model that made ``tree``, as its ledgers record it (slots it made itself, not
    those copied from another tree); the folder name only when no call was recorded."""
    rows = tree_rows(tree) if rows is None else rows
    record = start_from_record(tree)
    up_to = int(json.loads(record.read_text()).get("up_to", 0)) if record else 0
    own = [r for r in rows if r["slot"] >= up_to] or rows
    models = sorted({m for r in own for m in str(r.get("models") or "").split()})
    return "+".join(models) if models else tree.name


def _score_columns(rows: list[dict[str, Any]], policy: str) -> dict[str, Any]:
    """Crafter score (mean, 95% interval) and deepest achievement of ``policy``'s rows."""
    score = next((r for r in rows if r["policy"] == policy and r["metric"] == SCORE), None)
    fields: dict[str, Any] = score or {}
    low, high = fields.get("ci_low", ""), fields.get("ci_high", "")
    return {
        "crafter_score": None if score is None else float(score["mean"]),
        "crafter_score_ci": "" if low in (None, "") else f"{float(low):.2f}-{float(high):.2f}",
        "deepest_achievement": deepest(rows, policy) if score else "",
    }


def tree_scores(tree: Path) -> dict[str, Any]:
    """The tree's best-of row in ``report/achievements.csv`` (empty before that exists)."""
    path = tree / TREE_FILES["achievements_csv"]
    if not path.is_file():
        return _score_columns([], "")
    with open(path) as fh:
        rows: list[dict[str, Any]] = [{**r, "mean": float(r["mean"])} for r in csv.DictReader(fh)]
    tree_row = next((r["policy"] for r in rows if r["kind"] == "tree"), "")
    return _score_columns(rows, tree_row)


def baseline_rows(root: Path) -> list[dict[str, Any]]:
    """One row per baseline budget under ``root/baseline_ppo/frames_F`` (all its seeds)."""
    out = []
    for budget in sorted(Path(baseline_root(root)).glob("frames_*")):
        policy = baseline_policy(sorted(budget.glob("seed_*")))
        if not policy.by_seed:
            continue
        rows = policy.rows()
        out.append(
            {
                "model": f"baseline_ppo ({len(policy.by_seed)} seeds)",
                **_score_columns(rows, policy.policy),
                "slots": 0,
                "skills_accepted": 0,
                "cost_usd": 0.0,
                "frames": int(budget.name.split("_", 1)[1]),
            }
        )
    return out


def model_row(tree: Path) -> dict[str, Any]:
    rows = tree_rows(tree)
    accepted = [r for r in rows if r["accepted"]]
    reached: set[str] = set()
    for r in accepted:
        path = Path(slot_path(tree, r["slot"], "eval"))
        if path.is_file():
            reached |= set(achievements(json.loads(path.read_text())))
    costs = [r["cost_usd"] for r in rows]
    cost = None if any(c is None for c in costs) else round(sum(costs), 6)
    tokens = sum(r["prompt_tokens"] + r["completion_tokens"] for r in rows)
    record = start_from_record(tree)
    return {
        "model": tree_model(tree, rows),
        "tree": tree.name,
        **tree_scores(tree),
        "slots": len(rows),
        "skills_accepted": len(accepted),
        "skills": "; ".join(r["skill"] for r in accepted),
        "achievements": len(reached),
        "achievement_names": " ".join(sorted(reached)),
        "llm_calls": sum(r["llm_calls"] for r in rows),
        "prompt_tokens": sum(r["prompt_tokens"] for r in rows),
        "completion_tokens": sum(r["completion_tokens"] for r in rows),
        "reasoning_tokens": sum(r["reasoning_tokens"] for r in rows),
        "cost_usd": cost,
        "cost_per_skill_usd": None if cost is None or not accepted else cost / len(accepted),
        "tokens_per_skill": tokens / len(accepted) if accepted else None,
        "frames": sum(int(r["frames"] or 0) for r in rows),
        "start_from": json.loads(record.read_text())["source"] if record else "",
    }


def compare(root: str | Path, out: str | Path | None = None) -> list[dict[str, Any]]:
    root = Path(root)
    out = Path(out) if out else root / "comparison"
    found = trees(root)
    rows = [model_row(t) for t in found if has_committed_slot(t)] + baseline_rows(root)
    idle = [t.name for t in found if not has_committed_slot(t)]
    write_csv(out / "models.csv", rows, COLUMNS)
    notes = (
        f"Trees under `{root}`, named by the model their ledgers record. Costs come from each "
        "slot's llm_calls.jsonl priced with flowrl/resources/pricing.yaml (empty = unknown "
        "price); slots copied with start_from count for both trees. "
        "Crafter score: the tree's best plan policies (report/achievements.csv), mean over seeds "
        "with its 95% t interval; deepest achievement: the rarest one unlocked; "
        "baseline_ppo rows: plain PPO at that frame budget (docs/evaluation.md).\n\n"
    )
    if idle:
        notes += f"Not compared, no committed slot: {', '.join(f'`{n}`' for n in idle)}.\n\n"
    write_markdown(out / "models.md", f"Models compared: {root.name}", rows, COLUMNS, notes)
    model_bars(rows, out / "models.png")
    return rows
