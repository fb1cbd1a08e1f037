"""`flowrl doctor` prints what a bug report needs and never a key's value."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

CANARY = "sk-doctor-canary-0123456789"


def test_doctor_reports_versions_backend_sandbox_and_keys_set(tmp_path: Path) -> None:
    env = {**os.environ, "OPENAI_API_KEY": CANARY, "JAX_PLATFORMS": "cpu"}
    env.pop("OPENAI_BASE_URL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "flowrl", "doctor", "--results-dir", str(tmp_path / "results")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    rows = dict(line.split(None, 1) for line in proc.stdout.splitlines() if " " in line)
    assert CANARY not in proc.stdout + proc.stderr
    assert rows["OPENAI_API_KEY"].strip() == "set"
    assert rows["OPENAI_BASE_URL"].strip() == "not set"
    for name in ("python", "flowrl", "jax", "jaxlib", "snakemake", "craftax", "slurm"):
        assert name in rows, name
    assert "cpu" in proc.stdout.split("jax backend", 1)[1].splitlines()[0]
    assert "landlock abi" in proc.stdout and "GiB free" in proc.stdout
