"""Is the knowledge base learnable? Train every KB skill as its own plan and tabulate.

Each skill's plan is resolved over the knowledge base (``flowrl plan --library kb``), so a
deep skill trains its whole chain (Make Stone Pickaxe: wood, table, wood pickaxe, stone,
...). Skills go in the knowledge base's curriculum order and, as the pipeline does, a plan
warm-starts (parameters and Adam state, by skill name) from the checkpoint of an earlier
skill of this run that shares the most of its steps; ``--cold`` trains every plan from
scratch. Per skill: plan length, frames and wall time to the threshold (or the budget
spent), the best success estimate within the horizon with its 95% interval, a fresh-episode
evaluation (sampled and greedy) and, when it failed, why (early stop, budget). Writes a
Markdown table (docs/skills.md carries it) and JSON.

    python benchmarks/kb_learnability.py                                  # every Classic skill
    python benchmarks/kb_learnability.py --skills "Eat Cow" "Collect Drink" --total_timesteps 1e6
    python benchmarks/kb_learnability.py --env_name Craftax-Symbolic-v1 --first 8 \
        --total_timesteps 1e6
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_common import RESULTS, describe, kb_plan, machine, write_json

from flowrl.envs.games import get_game
from flowrl.rl.config import load_config
from flowrl.rl.evaluate import evaluate
from flowrl.rl.trainer import train
from flowrl.skills.knowledge import kb_skills
from flowrl.skills.plan_module import load_plan
from flowrl.skills.resolver import ResolverError

HEADER = (
    "| skill | plan steps | warm start | verdict | frames | wall s | train success [95%] "
    "| fresh sampled [95%] | fresh greedy | why not |\n|---|---|---|---|---|---|---|---|---|---|"
)


def _warm_start(steps: list[str], trained: dict[str, dict[str, Any]]) -> str | None:
    """The earlier accepted skill whose plan shares the most of ``steps`` (the deepest on a
    tie), or None."""
    best, shared = None, 0
    for name, row in trained.items():
        if not row["success"]:
            continue
        n = len(set(steps) & set(row["steps"]))
        if n > shared or (n == shared and best and len(row["steps"]) > len(trained[best]["steps"])):
            best, shared = name, n
    return best


def _row(r: dict[str, Any]) -> str:
    if r.get("error"):
        return f"| {r['skill']} | - | - | not planned | - | - | - | - | - | {r['error']} |"
    lo, hi = r["train_interval"] or (float("nan"), float("nan"))
    s_lo, s_hi = r["sampled_interval"]
    return (
        f"| {r['skill']} | {len(r['steps'])} | {r['warm_start'] or '-'} | "
        f"{'success' if r['success'] else 'failure'} | {r['frames']:,} | {r['wall_s']:.0f} | "
        f"{r['train_success']:.2f} [{lo:.2f}, {hi:.2f}] | {r['sampled']:.2f} "
        f"[{s_lo:.2f}, {s_hi:.2f}] | {r['greedy']:.2f} | {r['why_not'] or ''} |"
    )


def learn(
    args: argparse.Namespace, name: str, planned: Any, trained: dict, out: Path
) -> dict[str, Any]:
    """Train ``name``'s KB plan ``planned``; the table row's data."""
    steps = [s["skill"] for s in planned.doc["steps"]]
    warm = None if args.cold else _warm_start(steps, trained)
    config = load_config(args.profile, total_timesteps=args.total_timesteps, seed=args.seed)
    if args.no_early_stop:
        config = config.replace(early_stop_below=0.0, early_stop_patience=0)
    folder = out / name.lower().replace(" ", "_")
    start = time.perf_counter()
    result = train(
        load_plan(planned.module_source(), planned.game),
        planned.game,
        folder,
        config,
        init=trained[warm]["checkpoint"] if warm else None,
        progress=not args.quiet,
    )
    wall = time.perf_counter() - start
    ev = evaluate(
        result.checkpoint_dir,
        num_episodes=args.episodes,
        seed=7,
        max_episode_steps=result.success_horizon,
        achievements=False,
    )
    why = None
    if not result.success:
        why = result.stopped_early or f"budget spent, best {result.success_rate:.2f}"
    return {
        "skill": name,
        "steps": steps,
        "warm_start": warm,
        "success": bool(result.success),
        "frames": result.frames,
        "wall_s": round(wall, 1),
        "compile_s": round(result.compile_s, 1),
        "train_success": result.success_rate,
        "train_interval": result.interval_or_none(),
        "sampled": ev["sampled"]["success_within_horizon"],
        "sampled_interval": ev["sampled"]["success_interval"],
        "greedy": ev["greedy"]["success_within_horizon"],
        "greedy_interval": ev["greedy"]["success_interval"],
        "why_not": why,
        "warnings": [w["message"] for w in result.warnings],
        "checkpoint": str(result.checkpoint_dir),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env_name", default="Craftax-Classic-Symbolic-v1")
    parser.add_argument("--skills", nargs="+", default=None, help="default: every KB skill")
    parser.add_argument("--first", type=int, default=None, help="only the first N KB skills")
    parser.add_argument("--profile", default="cpu", help="trainer profile (cpu | gpu)")
    parser.add_argument("--total_timesteps", type=float, default=2e6, help="budget per skill")
    parser.add_argument("--episodes", type=int, default=32, help="fresh evaluation episodes")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cold", action="store_true", help="no warm starts")
    parser.add_argument("--no_early_stop", action="store_true", help="train the whole budget")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--out", default=None, help="keep checkpoints here (default: temp)")
    parser.add_argument("--json", default=None, help="default results/kb_learnability_<env>")
    args = parser.parse_args()

    game = get_game(args.env_name)
    names = args.skills or [s.name for s in kb_skills(game)][: args.first]
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="learnability_"))
    m = machine()
    print(f"# {args.env_name}, profile {args.profile}, budget {int(args.total_timesteps):,}")
    print(f"# {describe(m)}")
    trained: dict[str, dict[str, Any]] = {}
    rows = []
    for name in names:
        try:
            planned = kb_plan(game, name)
        except (ResolverError, ValueError) as exc:  # a skill the KB cannot plan is a table row
            row = {"skill": name, "error": f"{type(exc).__name__}: {exc}"}
        else:
            row = learn(args, name, planned, trained, out)
            trained[name] = row
        rows.append(row)
        print(_row(row), flush=True)
    print(f"\n{HEADER}")
    print("\n".join(_row(r) for r in rows))
    learned = sum(bool(r.get("success")) for r in rows)
    print(f"\n{learned} of {len(rows)} skills reached the threshold")
    path = args.json or RESULTS / f"kb_learnability_{args.env_name}.json"
    write_json(path, {"env_name": args.env_name, "args": vars(args), "machine": m, "rows": rows})


if __name__ == "__main__":
    main()
