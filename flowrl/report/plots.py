"""Figures: training curves of a tree and the per-model bar plot."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_bytes_atomic
from flowrl.pipeline.layout import candidate_path, slot_path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> None:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    write_bytes_atomic(path, buffer.getvalue())


def _curve(path: Path) -> tuple[list[float], list[float]] | None:
    """(frames, success rate) of a ``train_metrics.csv``, or None when it has no points."""
    if not path.is_file():
        return None
    with open(path) as fh:
        data = [r for r in csv.DictReader(fh) if r.get("frames")]
    if not data:
        return None
    frames = [float(r["frames"]) for r in data]
    rate = [float(r["success_rate"]) if r["success_rate"] else float("nan") for r in data]
    return frames, rate


def curves(tree: Path, rows: Sequence[dict[str, Any]], out: Path) -> None:
    """Smoothed success rate against frames, one line per trained slot; with candidates,
    each candidate's probe curve dashed in the slot's colour (the winner's marked)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    drawn = 0
    for row in rows:
        curve = _curve(Path(slot_path(tree, row["slot"], "metrics")))
        colour = None
        if curve:
            mark = "" if row.get("accepted") else " (rejected)"
            (line,) = ax.plot(*curve, label=f"{row['slot']}: {row['skill']}{mark}")
            colour = line.get_color()
            drawn += 1
        for c in range(int(row.get("candidates") or 0)):
            probe = _curve(Path(candidate_path(tree, row["slot"], c, "metrics")))
            if not probe:
                continue
            won = " (winner)" if c == row.get("candidate_winner") else ""
            ax.plot(
                *probe,
                linestyle="--",
                linewidth=0.9 if won else 0.6,
                color=colour,
                label=f"{row['slot']}.c{c} probe{won}",
            )
            drawn += 1
    ax.set_xlabel("frames")
    ax.set_ylabel("success rate (smoothed)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(f"Training curves: {tree.name}")
    if drawn:
        ax.legend(fontsize=7, loc="lower right")
    else:
        ax.text(0.5, 0.5, "no slot was trained", ha="center", transform=ax.transAxes)
    _save(fig, out)
    plt.close(fig)


def model_bars(rows: Sequence[dict[str, Any]], out: Path) -> None:
    """Crafter score, skills accepted, achievements and dollars per model (and baseline)."""
    plt = _pyplot()
    models = [r["model"] for r in rows]
    names = [
        f"{r['model']} ({r['tree']})"
        if models.count(r["model"]) > 1 and r.get("tree")
        else r["model"]
        for r in rows
    ]
    fig, axes = plt.subplots(1, 4, figsize=(14, 3.6))
    panels = [
        ("crafter_score", "Crafter score"),
        ("skills_accepted", "skills accepted"),
        ("achievements", "achievements reached"),
        ("cost_usd", "LLM cost (USD)"),
    ]
    for ax, (key, label) in zip(axes, panels, strict=True):
        values = [float(r.get(key) or 0.0) for r in rows]
        ax.bar(names, values, color="tab:blue")
        ax.set_title(label)
        ax.tick_params(axis="x", rotation=30)
        for x, r in enumerate(rows):
            if key == "cost_usd" and r.get(key) is None:
                ax.text(x, 0, "unknown", ha="center", va="bottom", fontsize=7)
    fig.tight_layout()
    _save(fig, out)
    plt.close(fig)


def achievement_bars(rows: Sequence[dict[str, Any]], out: Path) -> None:
    """Success (%) per achievement of the tree's best and the baseline, with 95% intervals."""
    plt = _pyplot()
    kinds = ("tree", "baseline")
    shown = [r for r in rows if r["kind"] in kinds]
    metrics = list(dict.fromkeys(r["metric"] for r in shown))
    fig, ax = plt.subplots(figsize=(max(6.0, 0.45 * len(metrics) + 2), 4))
    width = 0.4
    for k, kind in enumerate(kinds):
        mine = {r["metric"]: r for r in shown if r["kind"] == kind}
        if not mine:
            continue
        xs = [x + (k - 0.5) * width for x in range(len(metrics))]
        means = [mine[m]["mean"] if m in mine else 0.0 for m in metrics]
        errs = [
            [
                (mine[m]["mean"] - mine[m]["ci_low"])
                if m in mine and mine[m]["ci_low"] is not None
                else 0.0
                for m in metrics
            ],
            [
                (mine[m]["ci_high"] - mine[m]["mean"])
                if m in mine and mine[m]["ci_high"] is not None
                else 0.0
                for m in metrics
            ],
        ]
        label = next(iter(mine.values()))["policy"]
        ax.bar(xs, means, width, yerr=errs, capsize=2, label=label)
    ax.set_xticks(range(len(metrics)), metrics, rotation=70, fontsize=7)
    ax.set_ylabel("success rate (%)")
    ax.set_ylim(0, 105)
    ax.set_title("Achievements: the tree's best plan policy vs plain PPO (95% t intervals)")
    if shown:
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "nothing evaluated", ha="center", transform=ax.transAxes)
    fig.tight_layout()
    _save(fig, out)
    plt.close(fig)
