"""The GPU path a user cannot get wrong: a gpu-profile run whose JAX sees no GPU stops
before any job with one sentence naming the fix; train.allow_cpu: true goes on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from flowrl.pipeline.jax_runtime import (
    CPU_PRESET,
    CUDA_INSTALL,
    estimate_line,
    gpu_preflight,
    no_gpu_sentence,
    report_wall_time,
    runtime_info,
)
from tests.helpers.pipeline_helpers import REPO, SNAKEFILE


def _snakemake(workdir: Path, *config: str, target: str | None = None):
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env["JAX_PLATFORMS"] = "cpu"  # the machine without a GPU (or without a CUDA jaxlib)
    cmd = [sys.executable, "-m", "snakemake", "--cores", "1", "--snakefile", str(SNAKEFILE)]
    cmd += ["--directory", str(workdir), *([target] if target else []), "--config", *config]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)


def test_the_default_config_without_a_gpu_stops_before_any_job(tmp_path: Path) -> None:
    proc = _snakemake(tmp_path, "llm_name=offline", "max_nodes=1")
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "train.profile is gpu but JAX sees no GPU" in out
    assert CUDA_INSTALL in out and f"--configfile {CPU_PRESET}" in out
    assert not (tmp_path / "results").exists()
    assert (REPO / CPU_PRESET).is_file()  # the sentence names a preset that exists


def test_allow_cpu_goes_on(tmp_path: Path) -> None:
    target = "results/Craftax-Classic-Symbolic-v1/offline/init/library.json"
    proc = _snakemake(
        tmp_path,
        "llm_name=offline",
        "max_nodes=1",
        "total_timesteps=100000",  # small: no throughput probe
        "train={allow_cpu: true}",
        target=target,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "train.allow_cpu: true" in proc.stderr
    assert (tmp_path / target).is_file()


def test_cpu_profile_with_a_small_budget_needs_no_probe() -> None:
    lines: list[str] = []
    config = {"env_name": "x", "train": {"profile": "cpu"}, "total_timesteps": 1000}
    gpu_preflight(config, report=lines.append)  # no child process, no line
    report_wall_time(config, report=lines.append)
    assert lines == []


def test_the_estimate_and_the_sentence_read_well() -> None:
    info = {"backend": "gpu", "devices": ["gpu:0 H100"], "steps_per_s": 250_000.0}
    line = estimate_line(info, "gpu", 1024, 50_000_000)
    assert "250,000 env steps/s" in line and "at least 3.3 min per slot" in line
    cpu = no_gpu_sentence({"backend": "cpu", "devices": ["cpu:0 cpu"]})
    assert cpu.count(".") >= 1 and "train.allow_cpu: true" in cpu


def test_runtime_info_names_backend_and_devices() -> None:
    info = runtime_info()
    assert info["backend"] == "cpu" and info["devices"] and info["jax"]
