"""Frames and wall time (compile included) until "Collect Wood" reaches 80% plan success.

Runs the real trainer (:func:`flowrl.rl.trainer.train`) with the CPU profile unless told
otherwise, then prints frames, wall time, compile time and the verdict.

    python benchmarks/collect_wood_time_to_success.py --num_envs 128
"""

from __future__ import annotations

import argparse
import platform
import tempfile
from pathlib import Path

import jax

from flowrl.envs.games import get_game
from flowrl.rl.config import load_config
from flowrl.rl.trainer import train
from flowrl.skills.plan_module import PlanStep, build_plan_module, load_plan

SKILL = Path(__file__).resolve().parent.parent / "tests" / "skills" / "collect_wood.py"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env_name", default="Craftax-Classic-Symbolic-v1")
    parser.add_argument("--profile", default="cpu")
    parser.add_argument("--count", type=int, default=1, help="wood to collect (n)")
    parser.add_argument("--num_envs", type=int, default=None)
    parser.add_argument("--width", type=int, default=None)
    parser.add_argument("--total_timesteps", type=float, default=5e6)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="keep the run here (default: temp dir)")
    args = parser.parse_args()

    config = load_config(
        args.profile,
        num_envs=args.num_envs,
        width=args.width,
        total_timesteps=args.total_timesteps,
        seed=args.seed,
    )
    game = get_game(args.env_name)
    plan = load_plan(
        build_plan_module([PlanStep("Collect Wood", SKILL.read_text(), args.count, 0)], game),
        game,
    )
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="collect_wood_"))
    result = train(plan, game, out, config, progress=True)
    print(
        f"# {args.env_name}, Collect Wood (n={args.count}), {config.num_envs} envs, width "
        f"{config.width}, threshold {config.success_threshold}, window {config.success_window} "
        f"updates; {jax.devices()[0].platform} ({platform.processor() or platform.machine()})"
    )
    print(
        f"verdict {'success' if result.success else 'failure'}: success rate "
        f"{result.success_rate:.3f} after {result.frames:,} frames, {result.wall_s:.1f} s wall "
        f"(first chunk incl. compile {result.compile_s:.1f} s); metrics: {result.metrics_csv}"
    )


if __name__ == "__main__":
    main()
