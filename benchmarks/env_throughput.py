"""Env steps/s: raw craftax vs the flow env with each reset strategy, in one run.

Timing is blocked (`jax.block_until_ready`); compile time and steady state are reported
apart. Ratios are against raw craftax with no resets, measured in the same run.

    python benchmarks/env_throughput.py --num_envs 64 --steps 512
"""

from __future__ import annotations

import argparse
import platform
import time
from functools import partial
from pathlib import Path

import jax
from bench_common import best_of, blocked

from flowrl.envs.flow_env import FlowEnv
from flowrl.envs.game_env import GameEnv
from flowrl.envs.games import get_game
from flowrl.envs.resets import ResetConfig, VecEnv
from flowrl.skills.plan_module import PlanStep, build_plan_module, load_plan

SKILL = Path(__file__).resolve().parent.parent / "tests" / "skills" / "collect_wood.py"


def make_runner(vec: VecEnv, num_actions: int, steps: int):
    def run(key: jax.Array, state):
        def body(carry, _):
            key, state = carry
            key, act_key, step_key = jax.random.split(key, 3)
            actions = jax.random.randint(act_key, (vec.num_envs,), 0, num_actions)
            _, state, _reward, done, _ = vec.step(step_key, state, actions)
            return (key, state), done.sum()

        (key, state), dones = jax.lax.scan(body, (key, state), None, length=steps)
        return state, dones.sum()

    return jax.jit(run)


def compile_case(vec: VecEnv, num_actions: int, steps: int) -> dict:
    key = jax.random.PRNGKey(0)
    t0 = time.perf_counter()
    _, state0 = jax.block_until_ready(jax.jit(vec.reset)(key))
    run = make_runner(vec, num_actions, steps)
    jax.block_until_ready(run(key, state0))  # compile + first run
    return {"run": run, "state0": state0, "compile_s": time.perf_counter() - t0, "episodes": 0}


def time_case(case: dict, seed: int) -> float:
    """Seconds of one run from the same fresh worlds (so no case steps dead or stale games);
    the episodes it ended are added to ``case["episodes"]``."""
    (_, dones), seconds = blocked(case["run"], jax.random.PRNGKey(seed), case["state0"])
    case["episodes"] += int(dones)
    return seconds


def time_cases(cases: list[dict], repeats: int) -> None:
    """Each compiled case's best run, in ``case["best"]``, the cases interleaved."""
    timers = [partial(time_case, case) for case in cases]
    for case, best in zip(cases, best_of(timers, repeats), strict=True):
        case["best"] = best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env_name", default="Craftax-Classic-Symbolic-v1")
    parser.add_argument("--num_envs", type=int, default=64)
    parser.add_argument("--steps", type=int, default=512, help="steps per timed call")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--max_episode_steps",
        type=int,
        default=64,
        help="episode timeout, so every strategy resets several times per timed run",
    )
    parser.add_argument("--naive", action="store_true", help="also time naive auto-reset (slow)")
    args = parser.parse_args()

    spec = get_game(args.env_name)
    game = GameEnv(spec, args.max_episode_steps)
    plan = load_plan(
        build_plan_module([PlanStep("Collect Wood", SKILL.read_text(), 9, 0)], spec),
        spec,
    )
    flow = FlowEnv(spec, plan, max_episode_steps=args.max_episode_steps)
    cases = [
        ("raw craftax, no resets", VecEnv(game, args.num_envs, ResetConfig(mode="none"))),
        ("raw craftax, optimistic", VecEnv(game, args.num_envs, ResetConfig(mode="optimistic"))),
        ("flow env, no resets", VecEnv(flow, args.num_envs, ResetConfig(mode="none"))),
        ("flow env, optimistic", VecEnv(flow, args.num_envs, ResetConfig(mode="optimistic"))),
        ("flow env, reset pool", VecEnv(flow, args.num_envs, ResetConfig(mode="pool"))),
    ]
    if args.naive:
        cases.append(
            ("flow env, naive reset", VecEnv(flow, args.num_envs, ResetConfig(mode="naive")))
        )
    print(
        f"# {args.env_name}, {args.num_envs} envs, {args.steps} steps x {args.repeats}, "
        f"timeout {args.max_episode_steps}; {jax.devices()[0].platform} "
        f"({platform.processor() or platform.machine()})"
    )
    print(f"{'case':28s} {'steps/s':>10s} {'ratio':>6s} {'compile s':>10s} {'episodes':>9s}")
    compiled = [compile_case(vec, game.num_actions, args.steps) for _, vec in cases]
    time_cases(compiled, args.repeats)
    base = args.num_envs * args.steps / compiled[0]["best"]
    for (name, vec), case in zip(cases, compiled, strict=True):
        sps = vec.num_envs * args.steps / case["best"]
        eps = case["episodes"]
        print(f"{name:28s} {sps:10.0f} {sps / base:6.2f} {case['compile_s']:10.1f} {eps:9d}")


if __name__ == "__main__":
    main()
