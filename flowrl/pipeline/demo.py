"""`flowrl demo`: the offline CPU runs (``make run``, ``make depth``).

``--preset quick`` (default) runs the workflow with ``config/presets/quick.yaml``: the
offline provider (no network, no key) proposes Craftax-Classic skills from the knowledge
base, PPO trains each on CPU with a tiny budget, and the report lands in
``results/<env>/offline/report/``. ``--preset depth`` (``config/presets/depth.yaml``) grows
a deep tree with the CPU trainer profile (about 90 minutes on 2 cores) in
``results/<env>/offline-depth/``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from flowrl.cli_args import add_env, spellings
from flowrl.pipeline.config import REPO_ROOT

PRESETS = {
    "quick": REPO_ROOT / "config" / "presets" / "quick.yaml",
    "depth": REPO_ROOT / "config" / "presets" / "depth.yaml",
}
EXPECT = {
    "quick": "Expect roughly 2-4 minutes per slot on 2 cores (JAX compiles each training process).",
    "depth": "Expect about 90 minutes on 2 cores (docs/training.md, 'Depth on 2 CPU cores').",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--preset",
        choices=sorted(PRESETS),
        default="quick",
        help="quick: 3 slots, tiny budgets (make run); depth: 18 slots, CPU trainer profile (make depth)",
    )
    parser.add_argument(
        *spellings("max_nodes"), type=int, default=None, help="skill slots (quick: 3)"
    )
    add_env(parser, required=False)
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument(
        *spellings("results_dir"), default=None, help="where trees go (default results)"
    )
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
    preset = getattr(args, "preset", "quick")
    preset_file = PRESETS[preset]
    preset_config = load_config({}, [preset_file])
    env = getattr(args, "env", None) or preset_config["env_name"]
    overrides["env_name"] = env
    if args.results_dir:
        overrides["results_dir"] = args.results_dir
    preset_tree = preset_config.get("tree_dir")
    if preset_tree:  # the preset's tree folder name, under results_dir and the game
        results = args.results_dir or preset_config["results_dir"]
        overrides["tree_dir"] = str(Path(results) / env / Path(preset_tree).name)
    if getattr(args, "seeds", None):
        overrides["seeds"] = args.seeds
    if getattr(args, "baseline", False):
        overrides["baseline"] = {"enabled": True}
    config = load_config(overrides, [preset_file])
    tree = (
        Path(REPO_ROOT / tree_dir(config))
        if not Path(tree_dir(config)).is_absolute()
        else Path(tree_dir(config))
    )
    print(
        f"flowrl demo: {config['max_nodes']} skill slots of {config['env_name']} with the offline "
        f"provider, {int(config['total_timesteps']):,} frames max per slot, on CPU.\n"
        f"{EXPECT[preset]}\n"
    )
    start = time.monotonic()
    ok = run_workflow(overrides, [preset_file], cores=args.cores)
    print(f"\nflowrl demo: {'done' if ok else 'FAILED'} in {time.monotonic() - start:.0f} s")
    skills = tree / "report" / "skills.csv"
    if ok and skills.is_file():
        from flowrl.report.collect import SUMMARY_COLUMNS, tree_rows

        print(markdown(tree_rows(tree), SUMMARY_COLUMNS))
        print(
            f"report: {tree / 'report'} (skills.md, curves.png, achievements.md with the "
            f"Crafter score); GIFs: {tree}/skill_*/rollout.gif"
        )
        table = tree / "report" / "achievements.md"
        if table.is_file():
            print(table.read_text())
    from flowrl.pipeline.run_summary import driver_exit_code, driver_summary

    return driver_exit_code(ok, driver_summary(overrides, [preset_file]))
