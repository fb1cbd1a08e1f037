"""What K reward-code candidates buy: the winner's probe against the first candidate's.

Runs the real workflow (Snakemake, offline provider, Classic, the quick preset unless told
otherwise) with ``candidates: K`` and reads every slot's ``candidates.json``. Candidate 0 is
the single-candidate run's code (the offline provider's K=1 answer), so the first candidate
is the baseline measured in the same run. Prints per slot and in total: the first
candidate's and the winner's fresh-episode success after the probe, their frames to the
success threshold in the probe, the probe frames spent, the extra cost of K candidates (the
losers' probes: the winner continues its own probe) and the winner's training after its
probe; writes the same as JSON.

    python benchmarks/candidates.py                        # quick preset, K=3, 3 slots
    python benchmarks/candidates.py --max-nodes 2 --timesteps 150000
    python benchmarks/candidates.py --tree results/.../offline   # only read a finished tree
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ENV = "Craftax-Classic-Symbolic-v1"


def run_workflow(work: Path, k: int, max_nodes: int, timesteps: float | None, cores: int) -> Path:
    """The quick-preset workflow with ``candidates: k`` in ``work``; returns the tree."""
    overrides: dict[str, Any] = {"candidates": k, "max_nodes": max_nodes, "results_dir": "results"}
    if timesteps:
        overrides["total_timesteps"] = timesteps
    extra = work / "candidates_bench.yaml"
    extra.write_text(json.dumps(overrides))
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "workflow/Snakefile")]
    cmd += ["--directory", str(work), "--cores", str(cores), "--rerun-incomplete"]
    cmd += ["--configfile", str(ROOT / "config/presets/quick.yaml"), str(extra)]
    env = {**os.environ, "JAX_PLATFORMS": os.environ.get("JAX_PLATFORMS", "cpu")}
    print("running:", " ".join(cmd), flush=True)
    with open(work / "snakemake.log", "w") as log:
        subprocess.run(cmd, check=True, env=env, stdout=log, stderr=subprocess.STDOUT)
    return work / "results" / ENV / "offline"


def slot_summary(slot: Path) -> dict[str, Any] | None:
    """First candidate vs winner of one slot (None without ``candidates.json``)."""
    path = slot / "candidates.json"
    if not path.is_file():
        return None
    doc = json.loads(path.read_text())
    records = doc["candidates"]
    first, won = records[0], records[doc["winner"]]
    train = json.loads((slot / "train.json").read_text()) if (slot / "train.json").is_file() else {}
    return {
        "slot": slot.name,
        "skill": json.loads((slot / "proposal.json").read_text()).get("name"),
        "k": doc["k"],
        "winner": doc["winner"],
        "winner_design": won.get("design"),
        "first_success": first["eval_success_rate"],
        "winner_success": won["eval_success_rate"],
        "first_frames_to_threshold": first["frames_to_threshold"],
        "winner_frames_to_threshold": won["frames_to_threshold"],
        "probe_frames_total": doc["probe_frames_total"],
        "extra_frames": doc["probe_frames_total"] - int(won["probe_frames"] or 0),
        "winner_probe_frames": won["probe_frames"],
        "probe_timesteps": doc.get("probe_timesteps"),
        "full_train_frames": train.get("frames"),
        "full_train_status": train.get("status"),
    }


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.2f}" if isinstance(value, float) else str(value)


def table(rows: list[dict[str, Any]]) -> str:
    cols = (
        "slot",
        "skill",
        "winner",
        "first_success",
        "winner_success",
        "first_frames_to_threshold",
        "winner_frames_to_threshold",
        "probe_frames_total",
        "extra_frames",
        "full_train_frames",
    )
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(_fmt(r[c]) for c in cols) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k", type=int, default=3, help="candidates per slot")
    parser.add_argument("--max-nodes", type=int, default=3, help="slots (quick preset: 3)")
    parser.add_argument("--timesteps", type=float, default=None, help="frames per slot")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--work", default=None, help="workflow folder (default: a temp dir)")
    parser.add_argument("--tree", default=None, help="read this finished tree, run nothing")
    parser.add_argument("--json", default=None, help="also write the numbers here")
    args = parser.parse_args()

    start = time.time()
    if args.tree:
        tree = Path(args.tree)
    else:
        work = Path(args.work or tempfile.mkdtemp(prefix="flowrl-candidates-"))
        work.mkdir(parents=True, exist_ok=True)
        tree = run_workflow(work, args.k, args.max_nodes, args.timesteps, args.cores)
    wall = time.time() - start
    slots = sorted(tree.glob("skill_*"), key=lambda p: int(p.name.split("_")[1]))
    rows = [r for r in map(slot_summary, slots) if r]
    if not rows:
        raise SystemExit(f"{tree}: no slot has candidates.json (was candidates > 1?)")
    probe = sum(r["probe_frames_total"] or 0 for r in rows)
    extra = sum(r["extra_frames"] for r in rows)
    full = sum((r["full_train_frames"] or 0) + (r["winner_probe_frames"] or 0) for r in rows)
    better = sum((r["winner_success"] or 0) > (r["first_success"] or 0) for r in rows)
    summary = {
        "tree": str(tree),
        "machine": f"{os.cpu_count()} cores, load avg "
        + ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        "wall_s": round(wall, 1),
        "slots": rows,
        "winner_not_first": sum(r["winner"] != 0 for r in rows),
        "winner_better_than_first": better,
        "mean_first_success": sum(r["first_success"] or 0 for r in rows) / len(rows),
        "mean_winner_success": sum(r["winner_success"] or 0 for r in rows) / len(rows),
        "probe_frames": probe,
        "extra_frames": extra,
        "winner_frames": full,
        "extra_frames_ratio": extra / full if full else None,
    }
    print(table(rows))
    print(
        f"\nwinner != first in {summary['winner_not_first']}/{len(rows)} slots; better fresh "
        f"success in {better}; mean success first {summary['mean_first_success']:.2f} -> "
        f"winner {summary['mean_winner_success']:.2f}; probes {probe} frames, of which the "
        f"losers' {extra} are the extra cost"
        + (f" (x{summary['extra_frames_ratio']:.2f})" if full else "")
        + f" of the winners' {full} frames (probe + the rest of the budget)"
        + f"; wall {summary['wall_s']} s; {summary['machine']}"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
