"""Does a deep plan hold its success? Train a knowledge-base skill's whole plan for a fixed
budget (no stop at the threshold) and measure how far success falls from its peak.

The reference failure (issue #13): the 4-step Collect Stone plan (Collect Wood, Place
Crafting Table, Make Wood Pickaxe, Collect Stone) peaked at 0.64 success, then fell to 0.22
while the return rose, because the wood expert was paid again for wood it had spent.
Here the plan trains for ``--total_timesteps`` frames with the threshold stop and the early
stop off; the script prints the peak, the final estimate, the largest fall from the running
peak (drawdown) and the trainer's collapse warnings, evaluates the saved checkpoint on fresh
episodes, writes JSON and a PNG of success and return against frames.

    python benchmarks/plan_depth.py                       # Collect Stone, cpu profile, 4M
    python benchmarks/plan_depth.py --skill "Make Stone Pickaxe" --total_timesteps 6e6
"""

from __future__ import annotations

import argparse
import csv
import math
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import RESULTS, describe, kb_plan, machine, write_json

from flowrl.envs.games import get_game
from flowrl.rl.config import load_config
from flowrl.rl.evaluate import evaluate
from flowrl.rl.trainer import train
from flowrl.skills.plan_module import load_plan


def drawdown(rates: list[float]) -> tuple[float, float, int]:
    """(peak, largest fall below the running peak, index of the peak) of a success curve
    (NaN points, before enough episodes resolved, are skipped)."""
    peak, worst, at, running = -math.inf, 0.0, -1, -math.inf
    for i, r in enumerate(rates):
        if math.isnan(r):
            continue
        running = max(running, r)
        worst = max(worst, running - r)
        if r > peak:
            peak, at = r, i
    return peak, worst, at


def _read(metrics: Path) -> list[dict[str, float]]:
    """The numeric columns of ``train_metrics.csv``, one dict per update (blank -> NaN)."""
    skip = {"verdict", "reached"}
    with open(metrics) as fh:
        return [
            {k: float(v) if v else math.nan for k, v in row.items() if k not in skip}
            for row in csv.DictReader(fh)
        ]


def _plot(rows: list[dict[str, float]], title: str, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frames = [r["frames"] for r in rows]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(frames, [r["success_rate"] for r in rows], label="success (within horizon)")
    ax.fill_between(
        frames,
        [r["success_low"] for r in rows],
        [r["success_high"] for r in rows],
        alpha=0.2,
    )
    ax.set_ylim(0, 1)
    ax.set_xlabel("frames")
    ax.set_ylabel("plan success")
    twin = ax.twinx()
    twin.plot(frames, [r["episode_return"] for r in rows], color="grey", lw=0.8, label="return")
    twin.set_ylabel("episode return")
    ax.set_title(title)
    ax.legend(loc="lower right")
    fig.savefig(out, dpi=110, bbox_inches="tight")
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env_name", default="Craftax-Classic-Symbolic-v1")
    parser.add_argument("--skill", default="Collect Stone", help="knowledge-base skill")
    parser.add_argument("--profile", default="cpu", help="trainer profile (cpu | gpu)")
    parser.add_argument("--total_timesteps", type=float, default=4e6, help="frame budget")
    parser.add_argument("--max_drop", type=float, default=0.1, help="allowed fall from peak")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--episodes", type=int, default=32, help="fresh evaluation episodes")
    parser.add_argument("--init", default=None, help="warm-start from this checkpoint")
    parser.add_argument("--out", default=None, help="keep the run here (default: temp dir)")
    parser.add_argument("--json", default=str(RESULTS / "plan_depth.json"))
    parser.add_argument("--png", default=str(RESULTS / "plan_depth.png"))
    args = parser.parse_args()

    planned = kb_plan(get_game(args.env_name), args.skill)
    steps = [f"{s['skill']} x{s['times']} (n={s['count']})" for s in planned.doc["steps"]]
    # threshold 1.0 and no early stop: the whole budget is trained, so a collapse shows
    config = load_config(
        args.profile,
        total_timesteps=args.total_timesteps,
        seed=args.seed,
        success_threshold=1.0,
        early_stop_below=0.0,
        early_stop_patience=0,
    )
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="plan_depth_"))
    m = machine()
    print(f"# {args.skill}: {len(steps)} steps: {'; '.join(steps)}")
    print(f"# {describe(m)}")
    start = time.perf_counter()
    result = train(
        load_plan(planned.module_source(), planned.game),
        planned.game,
        out,
        config,
        init=args.init,
    )
    train_s = time.perf_counter() - start
    rows = _read(result.metrics_csv)
    rates = [r["success_rate"] for r in rows]
    peak, fall, at = drawdown(rates)
    final = next((r for r in reversed(rates) if not math.isnan(r)), math.nan)
    ev = evaluate(result.checkpoint_dir, num_episodes=args.episodes, seed=7, achievements=False)
    summary: dict[str, Any] = {
        "skill": args.skill,
        "env_name": args.env_name,
        "plan": steps,
        "profile": args.profile,
        "config": config.to_dict(),
        "frames": result.frames,
        "train_s": round(train_s, 1),
        "compile_s": round(result.compile_s, 1),
        "steps_per_s": round(result.frames / max(train_s - result.compile_s, 1e-9)),
        "peak": peak,
        "peak_frames": rows[at]["frames"] if at >= 0 else None,
        "final": final,
        "max_fall_from_peak": fall,
        "peak_minus_final": peak - final,
        "holds": fall <= args.max_drop,
        "max_drop": args.max_drop,
        "warnings": result.warnings,
        "best_update": result.best_update,
        "eval": {
            p: {
                "success": ev[p]["success_within_horizon"],
                "interval": ev[p]["success_interval"],
            }
            for p in ("sampled", "greedy")
        },
        "machine": m,
        "out": str(out),
    }
    print(
        f"frames {result.frames:,} in {train_s:.0f} s (compile {result.compile_s:.0f} s, "
        f"{summary['steps_per_s']:,} steps/s)"
    )
    print(
        f"success: peak {peak:.2f} at {summary['peak_frames'] or 0:,.0f} frames, "
        f"final {final:.2f}, "
        f"largest fall from the running peak {fall:.2f} (allowed {args.max_drop}): "
        f"{'holds' if summary['holds'] else 'DOES NOT HOLD'}"
    )
    for w in result.warnings:
        print(f"warning: {w['message']}")
    for p, e in summary["eval"].items():
        lo, hi = e["interval"]
        print(f"fresh episodes ({args.episodes}, {p}): {e['success']:.2f} [{lo:.2f}, {hi:.2f}]")
    write_json(args.json, summary)
    if args.png:
        _plot(
            rows, f"{args.skill} ({len(steps)}-step plan), {args.profile} profile", Path(args.png)
        )
        print(f"# wrote {args.png}")


if __name__ == "__main__":
    main()
