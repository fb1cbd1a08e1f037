"""How much sooner do skills reach deep achievements? Wall time and frames until an
achievement is unlocked in half of the fresh episodes: the tree against plain PPO.

The tree: an offline depth run (``flowrl demo --preset depth``, or ``--tree`` for one that
already ran on this machine). An achievement is reached at the first committed slot whose
evaluation (fresh sampled episodes of at most 1000 steps, played on past the plan's end)
unlocks it in >= 50% of episodes; its time is when that slot's commit landed after the
tree began, its frames the sum over every slot up to it (rejected ones included).

Plain PPO on the game's reward (:mod:`flowrl.rl.baseline`: the same trainer, sizes and
seed) then runs in the same process for the same wall time, and every
``--eval_every`` frames its current parameters play ``--episodes`` fresh episodes of at
most 1000 steps (sampled). A PPO that never gets there says "not reached" with its best
rate. Writes JSON and prints the Markdown table docs/benchmarks.md and the README carry.

    python benchmarks/time_to_achievement.py --tree results/Craftax-Classic-Symbolic-v1/offline-depth
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from bench_common import RESULTS, describe, machine, write_json

ACHIEVEMENTS = ("make_wood_pickaxe", "make_stone_pickaxe", "collect_iron")
HORIZON = 1000
GOAL = 50.0  # % of fresh episodes


def tree_times(tree: Path, achievements: tuple[str, ...]) -> dict[str, Any]:
    """Per achievement: slot, skill, cumulative frames and commit time where it is first
    unlocked in >= GOAL % of the evaluation's fresh episodes (None: never)."""
    from flowrl.report.collect import tree_rows

    rows = sorted(tree_rows(tree), key=lambda r: r["slot"])
    out: dict[str, Any] = {a: None for a in achievements}
    frames = 0
    for row in rows:
        frames += int(row.get("frames") or 0)
        eval_json = tree / f"skill_{row['slot']}" / "eval.json"
        if not eval_json.is_file() or not row.get("accepted"):
            continue
        pct = (json.loads(eval_json.read_text()).get("achievements") or {}).get("pct") or {}
        for name in achievements:
            if out[name] is None and pct.get(name, 0.0) >= GOAL:
                out[name] = {
                    "slot": row["slot"],
                    "skill": row["skill"],
                    "frames": frames,
                    "wall_s": row.get("committed_after_s"),
                    "pct": pct[name],
                }
    total = max((r.get("committed_after_s") or 0.0 for r in rows), default=0.0)
    return {"reached": out, "wall_s": total, "frames": frames}


def ppo_times(args: argparse.Namespace, wall_budget: float) -> dict[str, Any]:
    """Plain PPO for ``wall_budget`` seconds, evaluated on fresh episodes as it goes."""
    import jax

    from flowrl.envs.games import get_game
    from flowrl.rl.baseline import baseline_config, game_reward_plan
    from flowrl.rl.config import load_config
    from flowrl.rl.evaluate import full_episode_achievements
    from flowrl.rl.rollout import make_rollout
    from flowrl.rl.train_env import make_flow_env
    from flowrl.rl.trainer import start

    base = load_config(args.profile, seed=args.seed)
    config = baseline_config(base, int(float(args.ppo_timesteps)), args.seed)
    game = get_game(args.env_name)
    plan = game_reward_plan(game)
    begin = start(plan, game, config)
    eval_env = make_flow_env(config.replace(max_episode_steps=HORIZON), game, plan)
    rollout = make_rollout(eval_env, begin.ppo.network, args.episodes)
    keys = jax.random.split(jax.random.PRNGKey(10_000 + args.seed), args.episodes)
    runner, frames, next_eval = begin.runner, 0, 0
    reached: dict[str, Any] = {a: None for a in args.achievements}
    best = {a: 0.0 for a in args.achievements}
    curve = []
    t0 = time.perf_counter()
    while (
        time.perf_counter() - t0 < wall_budget and frames < config.num_updates * config.batch_size
    ):
        runner, _ = begin.ppo.train_chunk(runner)
        jax.block_until_ready(runner.params)
        frames += config.frames_per_chunk
        if frames < next_eval:
            continue
        next_eval = frames + int(float(args.eval_every))
        pct = full_episode_achievements(eval_env, rollout, runner.params, keys)["pct"]
        wall = time.perf_counter() - t0
        curve.append({"frames": frames, "wall_s": round(wall, 1), **{a: pct[a] for a in best}})
        print(
            f"ppo {frames:>10,} frames {wall:7.0f} s: "
            + ", ".join(f"{a} {pct[a]:.0f}%" for a in args.achievements),
            flush=True,
        )
        for a in args.achievements:
            best[a] = max(best[a], pct[a])
            if reached[a] is None and pct[a] >= GOAL:
                reached[a] = {"frames": frames, "wall_s": wall, "pct": pct[a]}
        if all(reached.values()):
            break
    return {
        "reached": reached,
        "best_pct": best,
        "curve": curve,
        "wall_s": time.perf_counter() - t0,
        "frames": frames,
    }


def table(tree: dict[str, Any], ppo: dict[str, Any], achievements: tuple[str, ...]) -> str:
    def cell(r: dict[str, Any] | None, best: float | None = None) -> str:
        if r is None:
            return "not reached" + (f" (best {best:.0f}%)" if best is not None else "")
        return f"{r['frames'] / 1e6:.2f}M frames, {r['wall_s'] / 60:.1f} min ({r['pct']:.0f}%)"

    lines = [
        "| achievement (>= 50% of fresh episodes) | tree (cumulative over slots) | plain PPO "
        "(game reward) | tree speed-up (wall) |",
        "|---|---|---|---|",
    ]
    for a in achievements:
        t, p = tree["reached"][a], ppo["reached"][a]
        if t and p:
            ratio = f"{p['wall_s'] / t['wall_s']:.1f}x"
        elif t:
            ratio = f"> {ppo['wall_s'] / t['wall_s']:.1f}x (PPO not there in {ppo['wall_s'] / 60:.0f} min)"
        else:
            ratio = "-"
        lines.append(f"| {a} | {cell(t)} | {cell(p, ppo['best_pct'][a])} | {ratio} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tree", default=None, help="an offline depth tree made on this machine")
    p.add_argument("--env_name", default="Craftax-Classic-Symbolic-v1")
    p.add_argument("--achievements", nargs="+", default=list(ACHIEVEMENTS))
    p.add_argument("--profile", default="cpu", help="trainer sizes of the PPO (the tree's)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ppo_minutes", type=float, default=None, help="default: the tree's time")
    p.add_argument("--ppo_timesteps", default="2e7", help="PPO's budget (its lr anneals over it)")
    p.add_argument("--eval_every", default="2.5e5", help="frames between PPO evaluations")
    p.add_argument("--episodes", type=int, default=32)
    p.add_argument("--json", default=str(RESULTS / "time_to_achievement.json"))
    p.add_argument("--ppo_json", default=None, help="reuse the PPO part of an earlier JSON")
    args = p.parse_args()
    args.achievements = tuple(args.achievements)
    if args.tree is None:
        from flowrl.pipeline.config import REPO_ROOT, load_config, tree_dir
        from flowrl.pipeline.demo import PRESETS
        from flowrl.pipeline.runner import run_workflow

        overrides = {"tree_dir": "results/Craftax-Classic-Symbolic-v1/offline-depth"}
        if not run_workflow(overrides, [PRESETS["depth"]], cores=2):
            raise SystemExit("the depth run failed: see the Snakemake log above")
        args.tree = str(REPO_ROOT / tree_dir(load_config(overrides, [PRESETS["depth"]])))
    tree = tree_times(Path(args.tree), args.achievements)
    budget = (args.ppo_minutes * 60) if args.ppo_minutes else tree["wall_s"]
    if args.ppo_json:
        ppo = json.loads(Path(args.ppo_json).read_text())["ppo"]
    else:
        ppo = ppo_times(args, budget)
    m = machine()
    print(f"# {describe(m)}")
    text = table(tree, ppo, args.achievements)
    print(text)
    write_json(
        args.json,
        {
            "machine": m,
            "tree": tree,
            "ppo": ppo,
            "table": text,
            "args": {k: v for k, v in vars(args).items()},
        },
    )


if __name__ == "__main__":
    main()
