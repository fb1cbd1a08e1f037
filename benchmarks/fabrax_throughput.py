"""Env steps/s: Fabrax next to Craftax-Classic, raw and inside the flow env, in one run.

Timing is blocked (`jax.block_until_ready`); compile time and steady state are reported
apart; cases are interleaved so load drifts hit all alike. Ratios are against raw
Craftax-Classic measured in the same run. Random actions: each game draws from its own
action set; "Fabrax, Classic actions" draws from Classic's 17 for a like-for-like cost.

    python benchmarks/fabrax_throughput.py --num_envs 64 --steps 512
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path

import jax
import jax.numpy as jnp

# Same timing code as the env benchmark (this folder is on sys.path when run as a script).
from env_throughput import compile_case, time_cases

from flowrl.envs.fabrax import ENV_NAME as FABRAX
from flowrl.envs.flow_env import FlowEnv
from flowrl.envs.game_env import GameEnv
from flowrl.envs.games import GameSpec, get_game
from flowrl.envs.resets import ResetConfig, VecEnv
from flowrl.skills.plan_module import PlanStep, build_plan_module, load_plan

CLASSIC = "Craftax-Classic-Symbolic-v1"
SKILL = Path(__file__).resolve().parent.parent / "tests" / "skills" / "collect_wood.py"


def flow_env(game: GameSpec, max_episode_steps: int) -> FlowEnv:
    module = build_plan_module([PlanStep("Collect Wood", SKILL.read_text(), 9, 0)], game)
    return FlowEnv(game, load_plan(module, game), max_episode_steps=max_episode_steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num_envs", type=int, default=64)
    parser.add_argument("--steps", type=int, default=512, help="steps per timed call")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--max_episode_steps", type=int, default=10000)
    parser.add_argument("--no_flow", action="store_true", help="raw games only")
    args = parser.parse_args()

    none = ResetConfig(mode="none")
    classic, fabrax = (GameEnv(get_game(n), args.max_episode_steps) for n in (CLASSIC, FABRAX))
    cases = [
        ("Classic, raw", VecEnv(classic, args.num_envs, none), classic.num_actions),
        ("Fabrax, raw", VecEnv(fabrax, args.num_envs, none), fabrax.num_actions),
        ("Fabrax, raw, Classic actions", VecEnv(fabrax, args.num_envs, none), classic.num_actions),
    ]
    if not args.no_flow:
        for name, game in ((CLASSIC, classic), (FABRAX, fabrax)):
            vec = VecEnv(flow_env(game.game, args.max_episode_steps), args.num_envs, none)
            label = "Classic" if name == CLASSIC else "Fabrax"
            cases.append((f"{label}, flow env", vec, game.num_actions))
    print(
        f"# Fabrax vs Craftax-Classic, {args.num_envs} envs, {args.steps} steps x "
        f"{args.repeats}; {jax.devices()[0].platform} "
        f"({platform.processor() or platform.machine()})"
    )
    print(f"{'case':30s} {'steps/s':>10s} {'ratio':>6s} {'compile s':>10s}")
    compiled = [compile_case(vec, n, args.steps) for _, vec, n in cases]
    time_cases(compiled, args.repeats)
    base = args.num_envs * args.steps / compiled[0]["best"]
    for (name, vec, _), case in zip(cases, compiled, strict=True):
        sps = vec.num_envs * args.steps / case["best"]
        print(f"{name:30s} {sps:10.0f} {sps / base:6.2f} {case['compile_s']:10.1f}")


if __name__ == "__main__":
    jnp.zeros(1).block_until_ready()
    main()
