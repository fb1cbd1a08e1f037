"""`flowrl compare --root results/ENV`: comparison/models.csv, models.md and models.png."""

from __future__ import annotations

import argparse

from flowrl.report.compare import compare
from flowrl.report.tables import markdown


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", required=True, help="folder of trees, e.g. results/ENV")
    parser.add_argument("--out", help="output folder (default ROOT/comparison)")


def run(args: argparse.Namespace) -> int:
    rows = compare(args.root, args.out)
    cols = ("model", "tree", "crafter_score", "skills_accepted", "cost_usd", "frames")
    print(markdown(rows, cols))
    if not rows:
        print(f"No tree under {args.root} has a committed slot yet.")
    return 0
