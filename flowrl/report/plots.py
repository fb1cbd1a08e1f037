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
    """Skills accepted, achievements and dollars per model."""
    plt = _pyplot()
    names = [r["model"] for r in rows]
    fig, axes = plt.subplots(1, 3, figsize=(11, 3.6))
    panels = [
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
