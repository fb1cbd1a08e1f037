"""An untrained, frozen policy (lr 0): the old finished-episode success vs the horizon estimate
vs fresh-episode evaluation, for one knowledge-base skill trained as its own plan.

The old estimate (completed / finished episodes over the last updates) reads high early in
training because short successes finish first; the horizon estimate and the evaluation
should agree within their 95% intervals. Every number comes from this one run.

    python benchmarks/untrained_estimate.py --skill "Collect Wood" --updates 64
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from pathlib import Path

from flowrl.envs.games import get_game
from flowrl.rl.config import load_config
from flowrl.rl.evaluate import evaluate
from flowrl.rl.trainer import train
from flowrl.skills.knowledge import kb_skill
from flowrl.skills.plan_module import PlanStep, build_plan_module, load_plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env_name", default="Craftax-Classic-Symbolic-v1")
    parser.add_argument("--skill", default="Collect Wood")
    parser.add_argument("--count", type=int, default=1)
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--updates", type=int, default=64)
    parser.add_argument("--episodes", type=int, default=128)
    parser.add_argument("--success_horizon", type=int, default=None)
    args = parser.parse_args()

    config = load_config(args.profile, success_horizon=args.success_horizon)
    config = config.replace(
        lr=0.0,
        anneal_lr=False,
        early_stop_below=0.0,
        total_timesteps=args.updates * config.batch_size,
    )
    game = get_game(args.env_name)
    skill = kb_skill(game, args.skill)
    source = build_plan_module([PlanStep(args.skill, skill.code, args.count, 0)], game)
    out = Path(tempfile.mkdtemp(prefix="untrained_"))
    result = train(load_plan(source, game), game, out, config, progress=False)
    with open(result.metrics_csv) as handle:
        rows = list(csv.DictReader(handle))
    print(f"# {args.env_name}, {args.skill} (n={args.count}), lr 0, {config.num_envs} envs")
    print("update | old: completed/finished (window) | horizon estimate [95%] (episodes)")
    for row in rows[:: max(1, len(rows) // 16)] + rows[-1:]:
        print(
            f"{row['update']:>6} | {float(row['success_finished']):.3f} | "
            f"{float(row['success_rate']):.3f} [{float(row['success_low']):.3f}, "
            f"{float(row['success_high']):.3f}] ({row['success_episodes']})"
        )
    ev = evaluate(result.checkpoint_dir, num_episodes=args.episodes, seed=123)
    for policy in ("sampled", "greedy"):
        r = ev[policy]
        lo, hi = r["success_interval"]
        print(
            f"evaluate {policy}: within {r['success_horizon']} steps "
            f"{r['success_within_horizon']:.3f} [{lo:.3f}, {hi:.3f}] over {r['episodes']} "
            f"fresh episodes (any length: {r['success_rate']:.3f})"
        )
    print(f"wall {result.wall_s:.0f} s, compile {result.compile_s:.0f} s")


if __name__ == "__main__":
    main()
