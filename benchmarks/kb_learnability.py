"""Train knowledge-base skills, each as its own one-step plan, and print a learnability table.

Per skill: verdict, frames and wall time to the threshold (or the budget spent), the best
success estimate within the horizon with its 95% interval, and a fresh-episode evaluation
(sampled and greedy). Skills that need items first (requirements) are not planned here:
pass skills that start from nothing (Collect Wood, Collect Sapling, Collect Drink, Eat Cow).

    python benchmarks/kb_learnability.py --skills "Eat Cow" "Collect Drink" --total_timesteps 1e6
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from flowrl.rl.config import load_config
from flowrl.rl.evaluate import evaluate
from flowrl.rl.trainer import train
from flowrl.skills.knowledge import kb_skill
from flowrl.skills.plan_module import PlanStep, build_plan_module, load_plan


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env_name", default="Craftax-Classic-Symbolic-v1")
    parser.add_argument("--skills", nargs="+", default=["Collect Drink", "Eat Cow"])
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--total_timesteps", type=float, default=1e6)
    parser.add_argument("--episodes", type=int, default=64)
    parser.add_argument("--early_stop", action="store_true", help="keep the default early stop")
    args = parser.parse_args()

    config = load_config(args.profile, total_timesteps=args.total_timesteps)
    if not args.early_stop:
        config = config.replace(early_stop_below=0.0)
    rows = []
    for name in args.skills:
        skill = kb_skill(args.env_name, name)
        if skill.spec.requirements:
            rows.append(f"| {name} | skipped: needs {sorted(skill.spec.requirements)} |")
            continue
        source = build_plan_module([PlanStep(name, skill.code, 1, 0)], args.env_name)
        out = Path(tempfile.mkdtemp(prefix="learnability_"))
        start = time.perf_counter()
        result = train(load_plan(source, args.env_name), args.env_name, out, config)
        ev = evaluate(result.checkpoint_dir, num_episodes=args.episodes, seed=7)
        lo, hi = result.success_interval
        rows.append(
            f"| {name} | {'success' if result.success else 'failure'} | {result.frames:,} | "
            f"{time.perf_counter() - start:.0f} | {result.success_rate:.2f} [{lo:.2f}, {hi:.2f}] "
            f"| {ev['sampled']['success_within_horizon']:.2f} | "
            f"{ev['greedy']['success_within_horizon']:.2f} | {result.stopped_early or ''} |"
        )
        print(rows[-1], flush=True)
    print(f"\n# {args.env_name}, profile {args.profile}, budget {int(args.total_timesteps):,}")
    print(
        "| skill | verdict | frames | wall s | train success [95%] | eval sampled | greedy | stop |"
    )
    print("|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
