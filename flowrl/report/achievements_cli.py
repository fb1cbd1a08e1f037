"""`flowrl achievements --tree results/ENV/MODEL --seeds 0 1 [--baseline DIR ...]`:
report/achievements.csv (long form), achievements.md (achievements x policies, mean and
95% t interval over seeds) and achievements.png (tree's best vs the baseline)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from flowrl.pipeline.config import WANDB_ENV, wandb_from_env
from flowrl.pipeline.layout import TREE_FILES
from flowrl.report.achievements import (
    COLUMNS,
    SCORE,
    baseline_policy,
    deepest,
    tree_policies,
    wide,
)
from flowrl.report.plots import achievement_bars
from flowrl.report.tables import markdown, write_csv, write_markdown


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tree", required=True, help="an output tree, e.g. results/ENV/gpt-5")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0], help="the run's seeds")
    parser.add_argument(
        "--baseline", nargs="*", default=[], help="baseline_ppo/frames_F/seed_S folders"
    )
    parser.add_argument(
        "--use-wandb",
        action="store_true",
        default=wandb_from_env(),
        help=f"also log the table to W&B (default: ${WANDB_ENV}=1)",
    )


def write_achievements(
    tree: str | Path, seeds: list[int], baseline_dirs: list[str]
) -> list[dict[str, Any]]:
    """Write the tree's achievement table files; returns the long-form rows."""
    tree = Path(tree)
    policies = tree_policies(tree, seeds)
    if baseline_dirs:
        base = baseline_policy(baseline_dirs)
        if not base.by_seed:
            raise FileNotFoundError(
                f"no baseline eval.json with achievements in {baseline_dirs}: rerun the "
                "baseline rule (snakemake --forcerun baseline)"
            )
        policies.append(base)
    rows = [row for policy in policies for row in policy.rows()]
    write_csv(tree / TREE_FILES["achievements_csv"], rows, COLUMNS)
    columns, table = wide(rows)
    tree_label = next((p.policy for p in policies if p.kind == "tree"), "")
    notes = (
        f"Tree `{tree}`, seeds {seeds}. Success rate (%) of each achievement over fresh "
        "full-length episodes (sampled policy; docs/evaluation.md), mean over seeds and "
        "95% Student-t interval [low, high] when there are two or more seeds. "
        f"`{SCORE}`: Crafter score (Hafner 2021). Deepest achievement of the tree: "
        f"{deepest(rows, tree_label) or 'none'}.\n\n"
    )
    if not policies:
        notes += "No skill was accepted and no baseline was given: the table is empty.\n\n"
    write_markdown(tree / TREE_FILES["achievements_md"], f"Achievements: {tree.name}", table,
                   columns, notes)  # fmt: skip
    achievement_bars(rows, tree / TREE_FILES["achievements_plot"])
    return rows


def log_to_wandb(tree: Path, rows: list[dict[str, Any]]) -> Path | None:
    """Log the table (and the Crafter scores) to a W&B run in ``tree/report``; returns the
    run's folder (None when W&B could not start; the table files are written anyway)."""
    from flowrl.rl.wandb_log import WandbLogger

    logger = WandbLogger(tree / "report", {"tree": str(tree)}, name=f"achievements {tree.name}")
    logger.log_table("achievements", list(COLUMNS), [[r.get(c) for c in COLUMNS] for r in rows])
    scores = {f"crafter_score/{r['policy']}": r["mean"] for r in rows if r["metric"] == SCORE}
    logger.log(scores, step=0)
    folder = logger.run_dir
    logger.finish()
    return folder


def run(args: argparse.Namespace) -> int:
    rows = write_achievements(args.tree, args.seeds, args.baseline)
    if args.use_wandb:
        folder = log_to_wandb(Path(args.tree), rows)
        print(f"achievements: W&B run in {folder}" if folder else "achievements: W&B off")
    scores = [r for r in rows if r["metric"] == SCORE]
    print(markdown(scores, ("policy", "mean", "ci_low", "ci_high", "seeds")))
    return 0
