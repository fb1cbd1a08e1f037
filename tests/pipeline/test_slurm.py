"""The workflow through ``--profile workflow/profiles/slurm`` on a real one-node SLURM
cluster on localhost (scripts/slurm_local.sh installs and starts munged, slurmctld and
slurmd, bounded in time, and this test stops only the daemons it started). The node
declares a gres GPU, so the train job's ``--gpus=1`` request is scheduled and recorded."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.helpers.pipeline_helpers import REPO, ledger, run, snakemake_cmd

pytestmark = pytest.mark.slow

SCRIPT = REPO / "scripts" / "slurm_local.sh"
STATE = "/tmp/flowrl-slurm-test"


@pytest.fixture(scope="module")
def slurm_cluster():
    if os.geteuid() != 0:
        pytest.skip("the local SLURM cluster needs root (apt, /etc/slurm, daemons)")
    env = {**os.environ, "FLOWRL_SLURM_STATE": STATE}
    already = subprocess.run(
        [str(SCRIPT), "status"], env=env, capture_output=True, text=True, timeout=60
    )
    started = subprocess.run(
        [str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=1200
    )
    assert started.returncode == 0, started.stderr[-3000:]
    ours = "slurmctld running" not in already.stdout
    yield env
    if ours:
        subprocess.run([str(SCRIPT), "stop"], env=env, timeout=120, check=False)


def test_workflow_on_local_slurm_with_gpu_request(slurm_cluster, tmp_path: Path) -> None:
    config = {
        "llm_name": "offline",
        "results_dir": "results",
        "max_nodes": 1,
        "total_timesteps": 20000,
        "evaluate": {"num_episodes": 2, "max_episode_steps": 50, "gif": False},
        "resources": {
            "train": {"gpu": 1, "threads": 1, "mem_mb": 3000, "runtime": 30},
            "evaluate": {"gpu": 0, "threads": 1, "mem_mb": 3000, "runtime": 30},
            "llm": {"threads": 1, "mem_mb": 2000, "runtime": 30},
        },
    }
    cmd = snakemake_cmd(
        tmp_path,
        config,
        "--slurm-init-seconds-before-status-checks",
        "1",
        "--seconds-between-status-checks",
        "2",
        "--latency-wait",
        "10",
        profile=str(REPO / "workflow" / "profiles" / "slurm"),
    )
    env = {**slurm_cluster, "JAX_PLATFORMS": "cpu"}
    proc = run(cmd, env, timeout=900)
    tree = tmp_path / "results" / "Craftax-Classic-Symbolic-v1" / "offline"
    for name in ("validation.json", "train.json", "eval.json", "library.json"):
        assert (tree / "skill_0" / name).exists(), f"{name} missing\n{proc.stderr[-3000:]}"
    assert json.loads((tree / "skill_0" / "train.json").read_text())["status"] in ("ok", "rejected")
    assert ledger(tree / "skill_0" / "llm_calls.jsonl")
    # what SLURM ran (job ids from the plugin's per-rule logs of this run): validate, train
    # and evaluate as jobs; train asked for a GPU
    logs = list((tmp_path / ".snakemake" / "slurm_logs").rglob("*.log"))
    ids = {p.stem: p.relative_to(tmp_path / ".snakemake" / "slurm_logs").parts[0] for p in logs}
    assert {"rule_validate", "rule_train", "rule_evaluate"} <= set(ids.values()), logs
    jobs = {}
    for job_id, rule in ids.items():
        line = subprocess.run(
            ["scontrol", "show", "job", "-o", job_id],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
        fields = dict(f.split("=", 1) for f in line.split() if "=" in f)
        jobs[rule] = (fields.get("TresPerJob", ""), fields.get("JobState", ""))
    assert "gpu:1" in jobs["rule_train"][0], jobs
    assert "gpu" not in jobs["rule_evaluate"][0], jobs
    assert jobs["rule_train"][1] == "COMPLETED", jobs
