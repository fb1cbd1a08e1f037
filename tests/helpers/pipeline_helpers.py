"""Helpers for the workflow tests: run Snakemake on the repository's workflow in a tmp dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
SNAKEFILE = REPO / "workflow" / "Snakefile"
LLM_API_DIR = Path(__file__).resolve().parents[1] / "data" / "pipeline_llm_api"
CLASSIC = "Craftax-Classic-Symbolic-v1"

# Tiny budgets: the workflow's test config (.test/config/config.yaml): 2 slots, small
# networks, few envs, short evaluation without GIFs; no trajectory analysis (on by default
# for the real model names the tests serve offline; tests/pipeline/test_candidates.py runs it).
TEST_CONFIG = REPO / ".test" / "config" / "config.yaml"
TINY = yaml.safe_load(TEST_CONFIG.read_text())


def snakemake_cmd(
    workdir: Path, config: dict, *extra: str, profile: str | None = None
) -> list[str]:
    """Snakemake on the repo's workflow in ``workdir``; ``config`` goes in as a config file
    (``--config`` would turn nested numbers into strings)."""
    overrides = workdir / f"overrides-{abs(hash(json.dumps(config, sort_keys=True)))}.yaml"
    overrides.write_text(json.dumps(config))
    cmd = [sys.executable, "-m", "snakemake", "--snakefile", str(SNAKEFILE)]
    cmd += ["--directory", str(workdir)]
    cmd += ["--configfile", str(REPO / "config/presets/quick.yaml"), str(overrides)]
    if profile:
        cmd += ["--profile", profile]
    else:
        cmd += ["--cores", "2"]
    return [*cmd, "--rerun-incomplete", "--show-failed-logs", *extra]


def env_with_llm_api(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(LLM_API_DIR), env.get("PYTHONPATH")]))
    env.setdefault("JAX_PLATFORMS", "cpu")
    env.pop("OPENAI_API_KEY", None)
    env.update(extra)
    return env


def run(cmd: list[str], env: dict[str, str], timeout: float = 900) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)}\nexit {proc.returncode}\n{proc.stderr[-6000:]}")
    return proc


def ledger(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
