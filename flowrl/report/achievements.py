"""The achievement table of a tree: per-achievement success (%) and the Crafter score of
every accepted skill's plan policy, the tree's best, and the plain-PPO baseline, each as a
mean over seeds with a 95% Student-t interval (docs/evaluation.md).

Rows come from eval.json's ``achievements`` section (full-length episodes, sampled
policy). The tree's value for an achievement in one seed is the best of its accepted plan
policies in that seed; the Crafter score of a row is computed per seed from that seed's
rates, then averaged.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from flowrl.pipeline.layout import seed_path, slot_path
from flowrl.report.collect import final_library, verdicts
from flowrl.rl.achievements import crafter_score, rates_of

SCORE = "crafter_score"
COLUMNS = ("policy", "kind", "slot", "metric", "mean", "ci_low", "ci_high", "seeds", "values")
# two-sided 95% Student-t quantiles by degrees of freedom (normal beyond the table)
_T95 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306}
_T95 |= {9: 2.262, 10: 2.228, 12: 2.179, 15: 2.131, 20: 2.086, 30: 2.042}


def t_quantile(df: int) -> float:
    """Two-sided 95% Student-t quantile (the next smaller tabulated df, conservative)."""
    if df < 1:
        raise ValueError("a t interval needs at least two seeds")
    if df > 30:
        return 1.96
    return _T95[max(k for k in _T95 if k <= df)]


def mean_interval(values: Sequence[float], bounds: tuple[float, float] = (0.0, 100.0)):
    """(mean, low, high): the 95% t interval over seeds, clipped to ``bounds``; low and high
    are None with a single seed."""
    v = np.asarray(values, dtype=np.float64)
    mean = float(v.mean())
    if v.size < 2:
        return mean, None, None
    half = t_quantile(v.size - 1) * float(v.std(ddof=1)) / math.sqrt(v.size)
    return mean, max(bounds[0], mean - half), min(bounds[1], mean + half)


@dataclass
class PolicyRow:
    """One column of the table: per-seed achievement rates (%) of one policy."""

    policy: str
    kind: str  # skill | tree | baseline
    slot: int | None = None
    by_seed: dict[int, dict[str, float]] = field(default_factory=dict)

    def metrics(self) -> list[str]:
        names: list[str] = []
        for rates in self.by_seed.values():
            names += [n for n in rates if n not in names]
        return names

    def rows(self) -> list[dict[str, Any]]:
        """Long-form rows: one per achievement and one for the Crafter score."""
        seeds = sorted(self.by_seed)
        per_metric = {m: [self.by_seed[s].get(m, 0.0) for s in seeds] for m in self.metrics()}
        per_metric[SCORE] = [crafter_score(self.by_seed[s].values()) for s in seeds]
        out = []
        for metric, values in per_metric.items():
            mean, low, high = mean_interval(values)
            out.append(
                {
                    "policy": self.policy,
                    "kind": self.kind,
                    "slot": self.slot,
                    "metric": metric,
                    "mean": round(mean, 4),
                    "ci_low": None if low is None else round(low, 4),
                    "ci_high": None if high is None else round(high, 4),
                    "seeds": len(values),
                    "values": " ".join(f"{v:.4g}" for v in values),
                }
            )
        return out


def _eval_json(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    return json.loads(path.read_text()) if path.is_file() else {}


def slot_eval_path(tree: str | Path, i: int, seed: int, seeds: Sequence[int]) -> str:
    """eval.json of slot ``i`` for ``seed``: the slot's own for the first seed."""
    return slot_path(tree, i, "eval") if seed == seeds[0] else seed_path(tree, i, seed, "eval")


def tree_policies(tree: str | Path, seeds: Sequence[int]) -> list[PolicyRow]:
    """A row per accepted skill (its plan policy) and the tree's best-of row."""
    tree = Path(tree)
    accepted = sorted(i for i, v in verdicts(final_library(tree)).items() if v["accepted"])
    names = {i: v["skill"] for i, v in verdicts(final_library(tree)).items()}
    rows = []
    for i in accepted:
        row = PolicyRow(f"{i}: {names[i]}", "skill", i)
        for s in seeds:
            rates = rates_of(_eval_json(slot_eval_path(tree, i, s, seeds)))
            if rates:
                row.by_seed[s] = rates
        if row.by_seed:
            rows.append(row)
    best = PolicyRow(f"tree ({tree.name})", "tree")
    for s in seeds:
        per_seed = [r.by_seed[s] for r in rows if s in r.by_seed]
        if per_seed:
            best.by_seed[s] = {m: max(rates.get(m, 0.0) for rates in per_seed) for m in per_seed[0]}
    return rows + ([best] if best.by_seed else [])


def baseline_policy(seed_dirs: Sequence[str | Path], label: str = "baseline_ppo") -> PolicyRow:
    """The baseline's row from its seed folders (``baseline_ppo/frames_F/seed_S``)."""
    row = PolicyRow(label, "baseline")
    for folder in seed_dirs:
        rates = rates_of(_eval_json(Path(folder) / "eval.json"))
        if rates:
            row.by_seed[int(Path(folder).name.rsplit("_", 1)[1])] = rates
    return row


def cell(row: dict[str, Any]) -> str:
    """``mean [low, high]`` (or just the mean with one seed)."""
    if row["ci_low"] is None:
        return f"{row['mean']:.1f}"
    return f"{row['mean']:.1f} [{row['ci_low']:.1f}, {row['ci_high']:.1f}]"


def wide(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[dict[str, Any]]]:
    """Metrics as rows, policies as columns (the Markdown table)."""
    policies = list(dict.fromkeys(r["policy"] for r in rows))
    metrics = [*dict.fromkeys(r["metric"] for r in rows if r["metric"] != SCORE), SCORE]
    table = {m: {"achievement": m} for m in metrics}
    for r in rows:
        table[r["metric"]][r["policy"]] = cell(r)
    return ["achievement", *policies], [table[m] for m in metrics if m in table]


def deepest(rows: Sequence[dict[str, Any]], policy: str) -> str:
    """The rarest achievement ``policy`` unlocks (lowest mean success above 0): a proxy
    for the deepest point of the tech tree it reaches (empty when it unlocks none)."""
    found = [r for r in rows if r["policy"] == policy and r["metric"] != SCORE and r["mean"] > 0]
    return min(found, key=lambda r: (r["mean"], r["metric"]))["metric"] if found else ""
