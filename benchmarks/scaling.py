"""Trainer cost as the work grows: steps/s and compile vs plan length and expert count.

Two sweeps in one process, same env sizes and network width:

* plan length L (1, 4, 8, 12 wood steps), one expert per step, as the pipeline trains a
  plan (steps/s of the best blocked chunk; compile = first chunk minus a steady one);
* expert count E (1, 4, 8, 16) on a 1-step plan, envs assigned to experts round-robin,
  so every expert acts and trains on ``num_envs / E`` envs whatever the plan.

Ratios are to the first row of each sweep, in this run. Writes a table, a JSON and a PNG.

    python benchmarks/scaling.py --json benchmarks/results/scaling.json \
        --png benchmarks/results/scaling.png
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import jax
import jax.numpy as jnp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import describe, machine, write_json
from trainer_throughput import measure_all, start, trainer_ppo, wood_plan

from flowrl.envs.games import GameSpec, get_game
from flowrl.rl.config import TrainConfig
from flowrl.rl.networks import ExpertActorCritic
from flowrl.rl.ppo import PPO
from flowrl.rl.train_env import make_flow_vec_env


class RoundRobinPPO(PPO):
    """The trainer with env ``i`` routed to expert ``i % E`` (the plan does not decide)."""

    def __init__(self, config: TrainConfig, vec_env, network: ExpertActorCritic) -> None:
        super().__init__(config, vec_env, network)
        self.num_experts = network.num_experts

    def experts_of(self, vec_state) -> jax.Array:
        return jnp.arange(self.vec_env.num_envs, dtype=jnp.int32) % self.num_experts


def round_robin_ppo(config: TrainConfig, game: GameSpec, experts: int) -> PPO:
    vec = make_flow_vec_env(config, game, wood_plan(game, 1))
    net = ExpertActorCritic(
        experts, vec.env.num_actions, config.width, config.depth, config.activation, config.routing
    )
    return RoundRobinPPO(config, vec, net)


def plot(result: dict, path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plan, experts = result["plan_length"], result["experts"]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    axes[0].plot([r["plan_length"] for r in plan], [r["sps"] for r in plan], "o-")
    axes[0].set(xlabel="plan length (one expert per step)", ylabel="env steps/s")
    axes[1].plot([r["experts"] for r in experts], [r["sps"] for r in experts], "o-")
    axes[1].set(xlabel="experts (1-step plan, round-robin)", ylabel="env steps/s")
    axes[2].plot([r["plan_length"] for r in plan], [r["compile_s"] for r in plan], "o-")
    axes[2].set(xlabel="plan length", ylabel="compile s")
    sweeps = ((plan, "plan_length"), (experts, "experts"), (plan, "plan_length"))
    for ax, (rows, key) in zip(axes, sweeps, strict=True):
        ax.set_xticks([r[key] for r in rows])
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
    m = result["machine"]
    fig.suptitle(
        f"flowrl trainer, {result['settings']['num_envs']} envs, width "
        f"{result['settings']['width']}; {m['cpu']}, {m['cores']} cores, "
        f"load {m['loadavg'][0]:.1f}",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    print(f"# wrote {path}")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env_name", default="Craftax-Classic-Symbolic-v1")
    parser.add_argument("--num_envs", type=int, default=256)
    parser.add_argument("--num_steps", type=int, default=64)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--updates", type=int, default=1, help="updates per timed chunk")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--plan_lengths", type=int, nargs="+", default=[1, 4, 8, 12])
    parser.add_argument("--experts", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--json", default=None)
    parser.add_argument("--png", default=None)
    parser.add_argument("--replot", default=None, help="only redraw --png from this JSON")
    args = parser.parse_args(argv)
    if args.replot:
        result = json.loads(Path(args.replot).read_text())
        plot(result, args.png)
        return result
    config = TrainConfig(
        num_envs=args.num_envs,
        num_steps=args.num_steps,
        width=args.width,
        updates_per_chunk=args.updates,
    )
    before = machine()
    print(f"# {args.env_name}, {config.num_envs} envs, width {config.width}; {describe(before)}")
    game = get_game(args.env_name)
    cases = []
    for steps in args.plan_lengths:
        cases.append(start(f"plan {steps}", trainer_ppo(config, game, steps)))
        print(f"# plan length {steps:2d}: first chunk {cases[-1]['first_s']:.1f} s", flush=True)
    for e in args.experts:
        if e == 1 and 1 in args.plan_lengths:
            continue  # one expert on a 1-step plan is the plan-length-1 case
        cases.append(start(f"experts {e}", round_robin_ppo(config, game, e)))
        print(f"# experts {e:2d}: first chunk {cases[-1]['first_s']:.1f} s", flush=True)
    rows = {r["name"]: r for r in measure_all(cases, args.repeats)}
    plan_rows = [{"plan_length": s, "experts": s, **rows[f"plan {s}"]} for s in args.plan_lengths]
    expert_rows = [
        {"experts": e, **rows[f"experts {e}" if f"experts {e}" in rows else "plan 1"]}
        for e in args.experts
    ]
    after = machine()
    for rows in (plan_rows, expert_rows):
        for r in rows:
            r["ratio"] = r["sps"] / rows[0]["sps"]
            r["compile_ratio"] = r["compile_s"] / rows[0]["compile_s"]
    print(f"\n{'plan length':>11s} {'steps/s':>9s} {'ratio':>6s} {'compile s':>10s} {'ratio':>6s}")
    for r in plan_rows:
        print(
            f"{r['plan_length']:11d} {r['sps']:9.0f} {r['ratio']:6.2f} {r['compile_s']:10.1f} "
            f"{r['compile_ratio']:6.2f}"
        )
    print(f"\n{'experts':>11s} {'steps/s':>9s} {'ratio':>6s} {'compile s':>10s}")
    for r in expert_rows:
        print(f"{r['experts']:11d} {r['sps']:9.0f} {r['ratio']:6.2f} {r['compile_s']:10.1f}")
    print(f"# load avg before {before['loadavg']}, after {after['loadavg']}")
    result = {
        "benchmark": "scaling",
        "machine": before,
        "loadavg_after": after["loadavg"],
        "settings": vars(args),
        "plan_length": plan_rows,
        "experts": expert_rows,
    }
    write_json(args.json, result)
    if args.png:
        plot(result, args.png)
    return result


if __name__ == "__main__":
    main()
