"""How deep does an offline run get on this machine? Runs ``flowrl demo --preset depth``
(``config/presets/depth.yaml``: Classic, the offline provider, the CPU trainer profile,
18 slots of at most 2M frames) and prints the per-slot table: skill, plan length, frames,
training success with its interval, fresh-episode success (sampled, with interval; greedy),
the slot's wall time and when its commit landed after the tree began. ``--tree`` only
summarises an existing tree. Writes JSON (rows and the machine).

    python benchmarks/depth_run.py                         # the full run (about 90 minutes)
    python benchmarks/depth_run.py --tree results/Craftax-Classic-Symbolic-v1/offline-depth
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench_common import RESULTS, describe, machine, write_json

from flowrl.report.collect import SUMMARY_COLUMNS as COLUMNS
from flowrl.report.collect import tree_rows
from flowrl.report.tables import markdown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", default=None, help="summarise this tree instead of running")
    parser.add_argument("--results_dir", default="results", help="where the run's tree goes")
    parser.add_argument("--minutes", type=float, default=60.0, help="the goal's time limit")
    parser.add_argument("--json", default=str(RESULTS / "depth_run.json"))
    args = parser.parse_args()

    m = machine()
    wall = None
    tree = Path(args.tree) if args.tree else None
    if tree is None:
        from flowrl.pipeline.config import REPO_ROOT, load_config, tree_dir
        from flowrl.pipeline.demo import PRESETS
        from flowrl.pipeline.runner import run_workflow

        preset_file = PRESETS["depth"]
        overrides = {"tree_dir": f"{args.results_dir}/Craftax-Classic-Symbolic-v1/offline-depth"}
        start = time.monotonic()
        if not run_workflow(overrides, [preset_file], cores=2):
            raise SystemExit("the depth run failed: see the Snakemake log above")
        wall = time.monotonic() - start
        tree = REPO_ROOT / tree_dir(load_config(overrides, [preset_file]))
    rows = tree_rows(tree)
    print(f"# {describe(m)}")
    print(markdown(rows, COLUMNS))
    within = [
        r for r in rows if r["accepted"] and (r["committed_after_s"] or 1e9) <= args.minutes * 60
    ]
    print(
        f"\n{sum(bool(r['accepted']) for r in rows)} of {len(rows)} slots accepted; "
        f"{len(within)} committed within {args.minutes:.0f} minutes: "
        f"{', '.join(r['skill'] for r in within)}"
    )
    write_json(
        args.json,
        {
            "tree": str(tree),
            "wall_s": wall,
            "machine": m,
            "within_minutes": args.minutes,
            "accepted_within": [r["skill"] for r in within],
            "rows": [{k: r.get(k) for k in COLUMNS} for r in rows],
        },
    )


if __name__ == "__main__":
    main()
