"""`flowrl demo`: the offline CPU demo (``make run``).

Runs the workflow with ``config/profiles/quick.yaml``: the offline provider (no network,
no key) proposes Craftax-Classic skills from the knowledge base, PPO trains each on CPU
with a tiny budget, and the report lands in ``results/<env>/offline/report/``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from flowrl.pipeline.config import REPO_ROOT

QUICK = REPO_ROOT / "config" / "profiles" / "quick.yaml"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--max_nodes", type=int, default=None, help="skill slots (quick: 3)")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--results_dir", default=None, help="where trees go (default results)")
    parser.add_argument(
        "--seeds", type=int, nargs="+", default=None, help="train + evaluate each slot per seed"
    )
    parser.add_argument(
        "--baseline", action="store_true", help="also plain PPO at the tree's frame budget"
    )


def run(args: argparse.Namespace) -> int:
    from flowrl.pipeline.config import load_config, tree_dir
    from flowrl.pipeline.runner import run_workflow
    from flowrl.report.tables import markdown

    overrides: dict = {}
    if args.max_nodes:
        overrides["max_nodes"] = args.max_nodes
    if args.results_dir:
        overrides["results_dir"] = args.results_dir
    if getattr(args, "seeds", None):
        overrides["seeds"] = args.seeds
    if getattr(args, "baseline", False):
        overrides["baseline"] = {"enabled": True}
    config = load_config(overrides, [QUICK])
    tree = (
        Path(REPO_ROOT / tree_dir(config))
        if not Path(tree_dir(config)).is_absolute()
        else Path(tree_dir(config))
    )
    print(
        f"flowrl demo: {config['max_nodes']} skill slots of {config['env_name']} with the offline "
        f"provider, {int(config['total_timesteps']):,} frames max per slot, on CPU.\n"
        "Expect roughly 2-4 minutes per slot on 2 cores (JAX compiles each training process).\n"
    )
    start = time.monotonic()
    ok = run_workflow(overrides, [QUICK], cores=args.cores)
    print(f"\nflowrl demo: {'done' if ok else 'FAILED'} in {time.monotonic() - start:.0f} s")
    skills = tree / "report" / "skills.csv"
    if ok and skills.is_file():
        from flowrl.report.collect import tree_rows

        cols = ("slot", "skill", "accepted", "reason", "frames", "success_rate", "wall_s")
        print(markdown(tree_rows(tree), cols))
        print(
            f"report: {tree / 'report'} (skills.md, curves.png, achievements.md with the "
            f"Crafter score); GIFs: {tree}/skill_*/rollout.gif"
        )
        table = tree / "report" / "achievements.md"
        if table.is_file():
            print(table.read_text())
    return 0 if ok else 1
