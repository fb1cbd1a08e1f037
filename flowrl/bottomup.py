"""Seed-compatible driver: bottom-up skill discovery over the Snakemake workflow.

    python -m flowrl.bottomup --env_name Craftax-Classic-Symbolic-v1 --llm_name gpt-4o-mini \\
        --max_nodes 3 --total_timesteps 5e7 --no-use_wandb --graph-path exp/test_run/
    python -m flowrl.bottomup --graph-path exp/test_run/ --current_i 3 --max_nodes 6 \\
        --llm_name gpt-5        # continue that tree from slot 3 with another model

The flags become workflow config keys (``--tree``, alias ``--graph-path``, -> ``tree_dir``;
``--current_i N`` -> ``start_from: {tree: <tree>, up_to: N}``) and the same workflow runs
(:func:`flowrl.pipeline.runner.run_workflow`); there is no second implementation. flowrl
says *tree* for the seed's graph and *slot* for its nodes (``skill_<i>``); the seed's flag
names stay as aliases.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import yaml

from flowrl.cli_args import add_llm_name, add_total_timesteps, add_use_wandb, spellings
from flowrl.pipeline.runner import run_workflow


def build_parser(parallel: bool = False) -> argparse.ArgumentParser:
    prog = "flowrl.bottomup_parallel" if parallel else "flowrl.bottomup"
    p = argparse.ArgumentParser(prog=f"python -m {prog}", description=__doc__.splitlines()[0])
    p.add_argument(*spellings("env_name"), default=None, help="game (config default otherwise)")
    add_llm_name(p, required=False)
    p.add_argument(*spellings("max_nodes"), type=int, default=None, help="skill slots in the tree")
    if parallel:
        p.add_argument(
            *spellings("max_parallel_skills"), type=int, default=2, help="K skills per round"
        )
    add_total_timesteps(p, help="frames per slot (5e7)")
    add_use_wandb(p, default=None)  # None: the config's use_wandb
    p.add_argument(
        "--tree",
        *spellings("graph_path"),
        dest="tree",
        default=None,
        help="output tree folder (default results/<env>/<llm>); --graph-path is the seed's name",
    )
    p.add_argument(
        *spellings("current_i"),
        type=int,
        default=None,
        help="continue the tree from slot N (slots < N are kept)",
    )
    p.add_argument("--configfile", action="append", default=[], help="extra config YAML")
    p.add_argument(
        "--config", nargs="*", default=[], metavar="KEY=VALUE", help="any other workflow config key"
    )
    p.add_argument("--cores", type=int, default=None, help="local cores (default: all)")
    p.add_argument(
        "--profile", default=None, help="Snakemake profile, e.g. workflow/profiles/slurm"
    )
    p.add_argument("-n", "--dry-run", action="store_true", help="show the jobs only")
    return p


def overrides_from(args: argparse.Namespace) -> dict[str, Any]:
    """Workflow config keys from the driver flags (unset flags leave the config default)."""
    out: dict[str, Any] = {}
    for flag in ("env_name", "llm_name", "max_nodes", "max_parallel_skills", "use_wandb"):
        value = getattr(args, flag, None)
        if value is not None:
            out[flag] = value
    if args.total_timesteps is not None:
        out["total_timesteps"] = int(args.total_timesteps)
    if args.tree:
        out["tree_dir"] = args.tree.rstrip("/")
    if args.current_i:
        from flowrl.pipeline.config import load_config, tree_dir

        tree = tree_dir(load_config({**out}, args.configfile))
        out["start_from"] = {"tree": tree, "up_to": int(args.current_i)}
    for item in args.config:
        key, _, value = item.partition("=")
        out[key] = yaml.safe_load(value)
    return out


def main(argv: list[str] | None = None, parallel: bool = False) -> int:
    args = build_parser(parallel).parse_args(argv)
    overrides = overrides_from(args)
    extra = ["--dry-run"] if args.dry_run else []
    cores = args.cores if args.cores is not None else (None if args.profile else "all")
    ok = run_workflow(overrides, args.configfile, cores=cores, profile=args.profile, extra=extra)
    if args.dry_run:
        return 0 if ok else 1
    from flowrl.pipeline.run_summary import driver_exit_code, driver_summary

    return driver_exit_code(ok, driver_summary(overrides, args.configfile))


if __name__ == "__main__":
    sys.exit(main())
