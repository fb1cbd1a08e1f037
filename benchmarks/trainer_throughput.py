"""PPO trainer env steps/s against references measured in the same run, and where time goes.

One process measures, on the same game, ``num_envs`` and network width:

* the limit: env steps/s with no policy (the trainer's flow env, its resets), and a stated
  limit for a whole update = that env time + a plain network's forward/backward time on
  the same batch (rollout forward, values, update epochs);
* the reference PPO, a plain PPO written the Craftax-Baselines way (``reference_ppo.py``:
  raw craftax, optimistic resets, one jitted function over the whole run);
* the flowrl cases: plain PPO on the flow env and the trainer with 1, 2, 4 experts
  (best blocked chunk), and a whole ``flowrl train`` run (logging, CSV, checkpoints);
* a profile of one trainer update: env step (incl. skill code and features), policy
  forward, values + GAE, update epochs; each part jitted and timed on its own.

Compile is time to the first result minus one steady call; steady is the best of
``--repeats`` blocked calls. Every ratio divides two figures of this run.

    python benchmarks/trainer_throughput.py --num_envs 256 --width 256 \
        --json benchmarks/results/trainer_throughput.json
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import jax

sys.path.insert(0, str(Path(__file__).resolve().parent))
import reference_ppo
from bench_common import SKILL, best_of, blocked, describe, machine, write_json
from env_throughput import make_runner

from flowrl.envs.games import GameSpec, get_game
from flowrl.rl.config import TrainConfig
from flowrl.rl.gae import compute_gae
from flowrl.rl.networks import ActorCritic, ExpertActorCritic
from flowrl.rl.ppo import PPO, RunnerState, sample_action
from flowrl.rl.train_env import make_flow_vec_env
from flowrl.skills.plan_module import PlanStep, build_plan_module, load_plan


def wood_plan(game: GameSpec, steps: int):
    """A plan of ``steps`` wood-collecting steps (1, 2, ... wood), one expert per step."""
    source = SKILL.read_text()
    plan = [PlanStep(f"Collect Wood {k + 1}", source, k + 1, k) for k in range(steps)]
    return load_plan(build_plan_module(plan, game), game)


def trainer_ppo(config: TrainConfig, game: GameSpec, experts: int) -> PPO:
    vec = make_flow_vec_env(config, game, wood_plan(game, experts))
    net = ExpertActorCritic(
        experts, vec.env.num_actions, config.width, config.depth, config.activation, config.routing
    )
    return PPO(config, vec, net)


def start(name: str, ppo: PPO) -> dict:
    """Init and the first chunk (env init + trace + compile + one run), blocked; ``again``
    runs one more chunk and returns its seconds."""
    t0 = time.perf_counter()
    state = {"runner": jax.block_until_ready(ppo.init(jax.random.PRNGKey(0)))}
    init_s = time.perf_counter() - t0
    state["runner"], _ = jax.block_until_ready(ppo.train_chunk(state["runner"]))
    first_s = time.perf_counter() - t0

    def again() -> float:
        (state["runner"], _), seconds = blocked(ppo.train_chunk, state["runner"])
        return seconds

    cfg = ppo.config
    return {
        "name": name,
        "first_s": first_s,
        "init_s": init_s,
        "again": again,
        "state": state,
        "frames": cfg.frames_per_chunk,
        "updates": cfg.updates_per_chunk,
    }


def start_reference(name: str, cfg: reference_ppo.ReferenceConfig) -> dict:
    """The reference PPO as a case: first worlds + compile + one whole run, then whole runs
    from the same first worlds."""
    first_s, run = reference_ppo.start_reference(cfg)
    seed = iter(range(1, 1000))
    return {
        "name": name,
        "first_s": first_s,
        "state": {},
        "again": lambda: run(next(seed)),
        "frames": cfg.frames,
        "updates": cfg.num_updates,
    }


def result(case: dict) -> dict:
    """Steady env steps/s (best call), seconds per update, and compile: time to the first
    call's result minus one steady call."""
    best = case["best_s"]
    return {
        "name": case["name"],
        "sps": case["frames"] / best,
        "update_s": best / case["updates"],
        "compile_s": case["first_s"] - best,
        # params + optimiser + first worlds (the reset pool), part of compile_s
        **({"init_s": case["init_s"]} if "init_s" in case else {}),
    }


def measure_all(cases: list[dict], repeats: int) -> list[dict]:
    """Time started ``cases`` round-robin (``repeats`` rounds) so a change of machine load
    during the run hits every case alike; each case keeps its best call."""
    timers = [lambda _seed, case=case: case["again"]() for case in cases]
    for case, best in zip(cases, best_of(timers, repeats), strict=True):
        case["best_s"] = best
    rows = [result(case) for case in cases]
    for case in cases:  # free the env states
        case["state"].clear()
    return rows


def measure(name: str, ppo: PPO, repeats: int) -> dict:
    """One case alone (see :func:`measure_all`)."""
    return measure_all([start(name, ppo)], repeats)[0]


def part(name: str, fn, args: tuple, frames: int) -> dict:
    """A profile part as a case: ``fn(*args)`` compiled and run once, then timed again."""
    _, first_s = blocked(fn, *args)

    def again() -> float:
        return blocked(fn, *args)[1]

    return {
        "name": name,
        "first_s": first_s,
        "again": again,
        "state": {},
        "frames": frames,
        "updates": 1,
    }


def network_parts(prefix: str, ppo: PPO, runner: RunnerState, traj) -> list[dict]:
    """The network parts of one update on a recorded rollout ``traj``, each jitted alone:
    policy forward + sampling at every step, values + GAE, update epochs."""
    cfg = ppo.config

    @jax.jit
    def policy(params, obs, expert, key):
        def body(key, x):
            key, act_key = jax.random.split(key)
            logits = ppo.network.apply(params, x[0], x[1], method="policy")
            return key, sample_action(act_key, logits)

        return jax.lax.scan(body, key, (obs, expert))[1]

    @jax.jit
    def values_gae(runner, traj):
        values = ppo._values(runner.params, traj.obs, traj.expert)
        last = ppo.network.apply(
            runner.params, runner.obs, ppo.experts_of(runner.vec_state), method="value"
        )
        return compute_gae(traj.reward, values, traj.cut, last, cfg.gamma, cfg.gae_lambda)

    batch = cfg.batch_size
    adv, targets = jax.block_until_ready(values_gae(runner, traj))
    return [
        part(
            f"{prefix} policy_s", policy, (runner.params, traj.obs, traj.expert, runner.key), batch
        ),
        part(f"{prefix} values_gae_s", values_gae, (runner, traj), batch),
        part(f"{prefix} update_s", jax.jit(ppo._update), (runner, traj, adv, targets), batch),
    ]


def profile_cases(ppo: PPO, plain: PPO) -> list[dict]:
    """Cases for the parts of one update of ``ppo`` (env alone, rollout, network parts) and
    the network parts of ``plain`` (which must share ``ppo``'s vec env) on the same batch."""
    runner = ppo.init(jax.random.PRNGKey(0))
    cfg = ppo.config
    env_run = make_runner(ppo.vec_env, ppo.vec_env.env.num_actions, cfg.num_steps)
    rollout = jax.jit(ppo._rollout)
    _, traj, _ = jax.block_until_ready(rollout(runner))
    params = plain.init_params(jax.random.PRNGKey(2))
    plain_runner = runner.replace(params=params, opt_state=plain.init_optimizer(params))
    return [
        part("trainer env_s", env_run, (jax.random.PRNGKey(1), runner.vec_state), cfg.batch_size),
        part("trainer rollout_s", rollout, (runner,), cfg.batch_size),
        *network_parts("trainer", ppo, runner, traj),
        *network_parts("plain", plain, plain_runner, traj),
    ]


def profile_result(rows: list[dict], batch: int) -> dict:
    """Seconds per update of each part, the limit (env alone + plain network parts)."""
    seconds = {r["name"]: r["update_s"] for r in rows}
    parts = {k.split()[1]: v for k, v in seconds.items() if k.startswith("trainer")}
    net = {k.split()[1]: v for k, v in seconds.items() if k.startswith("plain")}
    limit_s = parts["env_s"] + sum(net.values())
    env = next(r for r in rows if r["name"] == "trainer env_s")
    return {
        "parts": parts,
        "plain_network": net,
        "limit_s": limit_s,
        "limit_sps": batch / limit_s,
        "env_sps": env["sps"],
        "env_compile_s": env["compile_s"],
    }


def whole_run(config: TrainConfig, game: GameSpec, experts: int, chunks: int) -> dict:
    """A whole ``flowrl train`` run (rollout, update, CSV, progress, checkpoints): steady
    steps/s after the first chunk, and that first chunk (compile + its run)."""
    from flowrl.rl.trainer import train

    cfg = config.replace(
        total_timesteps=config.frames_per_chunk * chunks,
        success_threshold=1.0,
        checkpoint_every_chunks=1,
    )
    with tempfile.TemporaryDirectory() as out:
        result = train(wood_plan(game, experts), game, out, cfg, progress=False)
    rest = result.frames - cfg.frames_per_chunk
    sps = rest / (result.wall_s - result.compile_s) if rest > 0 else float("nan")
    return {
        "name": f"`flowrl train`, {experts} experts, whole run",
        "sps": sps,
        "first_chunk_s": result.compile_s,
        "compile_s": result.compile_s - cfg.frames_per_chunk / sps,
        "frames": result.frames,
        "wall_s": result.wall_s,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env_name", default="Craftax-Classic-Symbolic-v1")
    parser.add_argument("--num_envs", type=int, default=256)
    parser.add_argument("--num_steps", type=int, default=64)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--updates", type=int, default=2, help="updates per timed chunk")
    parser.add_argument("--repeats", type=int, default=3, help="timing rounds")
    parser.add_argument("--experts", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--profile_experts", type=int, default=2)
    parser.add_argument("--whole_run_chunks", type=int, default=3, help="0: skip")
    parser.add_argument("--reset_mode", default="pool")
    parser.add_argument("--routing", default="auto")
    parser.add_argument(
        "--minibatching", default="expert", choices=["expert", "expert_exact", "mixed"]
    )
    parser.add_argument("--json", default=None, help="also write the results here")
    args = parser.parse_args(argv)

    config = TrainConfig(
        num_envs=args.num_envs,
        num_steps=args.num_steps,
        width=args.width,
        updates_per_chunk=args.updates,
        reset_mode=args.reset_mode,
        routing=args.routing,
        minibatching=args.minibatching,
    )
    before = machine()
    print(
        f"# {args.env_name}, {config.num_envs} envs x {config.num_steps} steps, width "
        f"{config.width}, {config.update_epochs} epochs x {config.num_minibatches} minibatches, "
        f"{args.updates} updates/chunk, resets {config.reset_mode}, routing {args.routing}, "
        f"minibatching {config.minibatching}; {describe(before)}",
        flush=True,
    )
    # the reference PPO: a whole run of as many updates as a timed chunk
    reference_cfg = reference_ppo.ReferenceConfig.matching(config, args.env_name)
    game = get_game(args.env_name)
    profiled = trainer_ppo(config, game, args.profile_experts)
    actions = profiled.vec_env.env.num_actions
    plain_net = ActorCritic(actions, config.width, config.depth, config.activation)
    parts = profile_cases(profiled, PPO(config, profiled.vec_env, plain_net))
    print("# profile parts compiled", flush=True)
    one_step = make_flow_vec_env(config, game, wood_plan(game, 1))
    cases = [start_reference("reference PPO (Craftax-Baselines style)", reference_cfg)]
    cases.append(start("plain PPO, flow env", PPO(config, one_step, plain_net)))
    for e in args.experts:
        cases.append(start(f"trainer, {e} experts", trainer_ppo(config, game, e)))
        print(f"# compiled {cases[-1]['name']}", flush=True)
    # every case and every profile part timed in the same rounds
    timed = measure_all(cases + parts, args.repeats)
    reference, *rows = timed[: len(cases)]
    prof = profile_result(timed[len(cases) :], config.batch_size)
    if args.whole_run_chunks:
        rows.append(whole_run(config, game, args.profile_experts, args.whole_run_chunks))
    after = machine()

    limit = {
        "name": f"limit: env alone + plain network ({args.profile_experts}-step plan)",
        "sps": prof["limit_sps"],
    }
    env_only = {
        "name": f"env alone, no policy ({args.profile_experts}-step plan)",
        "sps": prof["env_sps"],
        "compile_s": prof["env_compile_s"],
    }
    table = [env_only, limit, reference, *rows]
    result = {
        "benchmark": "trainer_throughput",
        "machine": before,
        "loadavg_after": after["loadavg"],
        "settings": {**vars(args), "batch_size": config.batch_size},
        "table": table,
        "profile": prof,
    }
    write_json(args.json, result)
    print(
        f"{'case':44s} {'steps/s':>9s} {'x limit':>8s} {'x reference':>11s} {'compile s':>10s} {'init s':>7s}"
    )
    for r in table:
        comp = f"{r['compile_s']:10.1f}" if "compile_s" in r else f"{'':10s}"
        print(
            f"{r['name']:44s} {r['sps']:9.0f} {r['sps'] / limit['sps']:8.2f} "
            f"{r['sps'] / reference['sps']:11.2f} {comp} {r.get('init_s', float('nan')):7.1f}"
        )
    parts = prof["parts"]
    net = prof["plain_network"]
    traj_total = next(r for r in rows if r["name"] == f"trainer, {args.profile_experts} experts")
    print(
        f"\n# one update of the trainer with {args.profile_experts} experts, "
        f"{config.batch_size} frames (each part jitted alone; ms):"
    )
    print(f"{'part':34s} {'trainer':>9s} {'plain net':>10s}")
    print(f"{'env step (skill code, features)':34s} {parts['env_s'] * 1e3:9.0f} {'':>10s}")
    for key, label in (
        ("policy_s", "policy forward + sampling"),
        ("values_gae_s", "values + GAE"),
        ("update_s", "update epochs (fwd+bwd+adam)"),
    ):
        print(f"{label:34s} {parts[key] * 1e3:9.0f} {net[key] * 1e3:10.0f}")
    parts_sum = parts["env_s"] + parts["policy_s"] + parts["values_gae_s"] + parts["update_s"]
    print(f"{'sum of parts':34s} {parts_sum * 1e3:9.0f} {prof['limit_s'] * 1e3:10.0f} (= limit)")
    print(f"{'rollout as one (env + policy)':34s} {parts['rollout_s'] * 1e3:9.0f}")
    print(f"{'whole update (best chunk)':34s} {traj_total['update_s'] * 1e3:9.0f}")
    print(f"# load avg before {before['loadavg']}, after {after['loadavg']}")
    return result


if __name__ == "__main__":
    main()
