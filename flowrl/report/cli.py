"""`flowrl report --tree results/ENV/MODEL`: report/skills.csv, skills.md and curves.png."""

from __future__ import annotations

import argparse
from pathlib import Path

from flowrl.pipeline.verdict import NEAR_MISS
from flowrl.report.collect import CANDIDATE_COLUMNS, COLUMNS, tree_rows
from flowrl.report.plots import curves
from flowrl.report.tables import markdown, write_csv, write_markdown

MD_COLUMNS = (
    "slot",
    "skill",
    "accepted",
    "reason",
    "decided_by",
    "plan_steps",
    "frames",
    "success_rate",
    "success_interval",
    "eval_greedy_success_rate",
    "eval_sampled_success_rate",
    "eval_sampled_within_horizon",
    "eval_sampled_interval",
    "achievements",
    "prompt_tokens",
    "completion_tokens",
    "cost_usd",
    "wall_s",
    "committed_after_s",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--tree", required=True, help="an output tree, e.g. results/ENV/gpt-5")
    parser.add_argument("--out", help="report folder (default TREE/report)")


def write_report(tree: str | Path, out: str | Path | None = None) -> list[dict]:
    tree = Path(tree)
    out = Path(out) if out else tree / "report"
    rows = tree_rows(tree)
    extra = CANDIDATE_COLUMNS if any(r.get("candidates") for r in rows) else ()
    write_csv(out / "skills.csv", rows, (*COLUMNS, *extra))
    accepted = sum(1 for r in rows if r["accepted"])
    cost = [r["cost_usd"] for r in rows]
    total = "unknown" if any(c is None for c in cost) else f"${sum(cost):.4f}"
    notes = (
        f"Tree `{tree}`: {accepted} of {len(rows)} slots accepted; LLM cost {total}; "
        f"{sum(r['prompt_tokens'] + r['completion_tokens'] for r in rows)} tokens.\n\n"
    )
    notes += (
        "Verdict: `success_rate` [`success_interval`] is training's estimate, "
        "`eval_sampled_within_horizon` [`eval_sampled_interval`] the evaluation's fresh "
        "episodes, both within the success horizon. Training rules unless evaluation is "
        f"decisive: it overrules a near miss (within {NEAR_MISS} of the threshold) whose fresh "
        "interval lies wholly at or above the threshold, and a pass whose fresh interval lies "
        "wholly below it; `decided_by` says which ruled (docs/training.md, One verdict).\n\n"
    )
    if extra:
        notes += (
            "Candidates: per candidate in order, the winner starred; success is the better "
            "fresh-episode success after the probe, cost in USD.\n\n"
        )
    md_columns = (*MD_COLUMNS, *(c for c in extra if c != "candidates"))
    write_markdown(out / "skills.md", f"Skills: {tree.name}", rows, md_columns, notes)
    curves(tree, rows, out / "curves.png")
    return rows


def run(args: argparse.Namespace) -> int:
    rows = write_report(args.tree, args.out)
    print(markdown(rows, ("slot", "skill", "accepted", "reason", "success_rate", "cost_usd")))
    return 0
