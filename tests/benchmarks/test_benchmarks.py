"""The benchmark scripts stay runnable: the GPU suite's dry mode, the tables of
docs/benchmarks.md."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "benchmarks"


def test_benchmark_tables_match_the_results() -> None:
    """docs/benchmarks.md's tables are what benchmark_tables.py makes of benchmarks/results/."""
    proc = subprocess.run(
        [sys.executable, str(BENCH / "benchmark_tables.py"), "--check"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.slow
def test_gpu_suite_dry_mode_runs_to_completion_on_cpu(tmp_path: Path) -> None:
    """gpu_suite.sh --dry: every section at tiny sizes, one JSON, same-run ratios only."""
    out = tmp_path / "suite.json"
    # the suite's own limit is for a GPU; a busy 2-core CPU compiles the dry cases slowly
    env = {**os.environ, "JAX_PLATFORMS": "cpu", "PYTHON": sys.executable}
    env["GPU_SUITE_LIMIT_S"] = "800"
    proc = subprocess.run(
        ["bash", str(BENCH / "gpu_suite.sh"), "--dry", str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=850,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(out.read_text())
    assert data["mode"] == "dry"
    assert "405,618" in data["published"]["figure"]
    rows = data["env"] + data["trainer"] + [data["reference"]]
    assert all(r["sps"] > 0 and r["compile_s"] > 0 for r in rows)
    assert data["env"][0]["name"].startswith("flow env")
    for row in data["trainer"]:
        assert row["x_env_alone"] == pytest.approx(row["sps"] / data["env"][0]["sps"])
        assert row["x_reference"] == pytest.approx(row["sps"] / data["reference"]["sps"])
    assert data["pipeline"]["rc"] == 0


def test_best_of_takes_turns_and_keeps_each_best() -> None:
    """The timing loop the benchmarks share: round-robin rounds, seeds 1.., best per case."""
    sys.path.insert(0, str(BENCH))
    try:
        from bench_common import best_of
    finally:
        sys.path.remove(str(BENCH))
    calls: list[tuple[str, int]] = []

    def timer(name: str, seconds: list[float]):
        def run(seed: int) -> float:
            calls.append((name, seed))
            return seconds[seed - 1]

        return run

    best = best_of([timer("a", [3.0, 1.0, 2.0]), timer("b", [0.5, 4.0, 5.0])], 3)
    assert best == [1.0, 0.5]
    assert calls == [("a", 1), ("b", 1), ("a", 2), ("b", 2), ("a", 3), ("b", 3)]
    assert best_of([timer("c", [7.0])], 0) == [7.0]  # at least one round
