"""PPO trainer env steps/s (rollout + GAE + update): experts vs a plain single network.

All cases run in the same process on the same flow env and config; compile (time to the
first chunk's result minus one steady chunk) and steady state (best of ``--repeats``
blocked chunks) are reported apart. Ratios are
against plain single-network PPO on the flow env. For reference, Craftax-Baselines
``ppo.py`` runs at 1,783 env steps/s on the 2-core dev CPU (Classic, 256 envs, width 256).

    python benchmarks/trainer_throughput.py --num_envs 256 --width 256
"""

from __future__ import annotations

import argparse
import platform
import time
from pathlib import Path

import jax

from flowrl.envs.game_env import GameEnv
from flowrl.envs.resets import VecEnv
from flowrl.rl.config import TrainConfig
from flowrl.rl.networks import ActorCritic, ExpertActorCritic
from flowrl.rl.ppo import PPO, make_flow_vec_env, reset_config
from flowrl.skills.plan_module import PlanStep, build_plan_module, load_plan

SKILL = Path(__file__).resolve().parent.parent / "tests" / "skills" / "collect_wood.py"
BASELINE_PPO_PY = 1783.0


def wood_plan(env_name: str, steps: int):
    source = SKILL.read_text()
    names = ["Collect Wood", "Collect More Wood", "Collect Even More Wood", "Collect Lots"]
    plan = [PlanStep(names[k], source, k + 1, k) for k in range(steps)]
    return load_plan(build_plan_module(plan, env_name), env_name)


def measure(name: str, ppo: PPO, repeats: int) -> dict:
    """Steady env steps/s (best blocked chunk) and compile: time to the first chunk's
    result (init + trace + compile + one run) minus one steady chunk."""
    t0 = time.perf_counter()
    runner = ppo.init(jax.random.PRNGKey(0))
    runner, _ = jax.block_until_ready(ppo.train_chunk(runner))
    first_s = time.perf_counter() - t0
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        runner, _ = jax.block_until_ready(ppo.train_chunk(runner))
        best = min(best, time.perf_counter() - t)
    sps = ppo.config.frames_per_chunk / best
    return {"name": name, "sps": sps, "compile_s": first_s - best, "first_s": first_s}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env_name", default="Craftax-Classic-Symbolic-v1")
    parser.add_argument("--num_envs", type=int, default=256)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--updates", type=int, default=2, help="updates per timed chunk")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--experts", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--reset_mode", default="pool")
    parser.add_argument("--routing", default="auto")
    parser.add_argument(
        "--minibatching", default="expert", choices=["expert", "expert_exact", "mixed"]
    )
    parser.add_argument("--raw", action="store_true", help="also plain PPO on raw craftax")
    args = parser.parse_args()

    config = TrainConfig(
        num_envs=args.num_envs,
        width=args.width,
        updates_per_chunk=args.updates,
        reset_mode=args.reset_mode,
        routing=args.routing,
        minibatching=args.minibatching,
    )
    one = wood_plan(args.env_name, 1)
    vec1 = make_flow_vec_env(config, args.env_name, one)
    actions = vec1.env.num_actions
    plain = ActorCritic(actions, config.width, config.depth, config.activation)
    cases = [("plain PPO, flow env", PPO(config, vec1, plain))]
    for e in args.experts:
        vec = make_flow_vec_env(config, args.env_name, wood_plan(args.env_name, e))
        net = ExpertActorCritic(e, actions, config.width, config.depth, routing=args.routing)
        cases.append((f"trainer, {e} experts", PPO(config, vec, net)))
    if args.raw:
        raw = VecEnv(GameEnv(args.env_name), config.num_envs, reset_config(config))
        cases.append(("plain PPO, raw craftax", PPO(config, raw, plain)))
    print(
        f"# {args.env_name}, {config.num_envs} envs x {config.num_steps} steps, width "
        f"{config.width}, {config.update_epochs} epochs x {config.num_minibatches} minibatches, "
        f"{args.updates} updates/chunk, resets {config.reset_mode}, routing {args.routing}, "
        f"minibatching {config.minibatching}; "
        f"{jax.devices()[0].platform} ({platform.processor() or platform.machine()})"
    )
    header = f"{'case':26s} {'steps/s':>9s} {'ratio':>6s} {'x ppo.py':>9s} {'compile s':>10s}"
    print(header + f" {'first chunk s':>14s}")
    results = [measure(name, ppo, args.repeats) for name, ppo in cases]
    base = results[0]["sps"]
    for r in results:
        print(
            f"{r['name']:26s} {r['sps']:9.0f} {r['sps'] / base:6.2f} "
            f"{r['sps'] / BASELINE_PPO_PY:9.2f} {r['compile_s']:10.1f} {r['first_s']:14.1f}"
        )


if __name__ == "__main__":
    main()
