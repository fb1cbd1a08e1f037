"""What the workflow's jobs inherit: interpreter, package, W&B switch, GPU slots and each
GPU job's XLA memory share."""

from __future__ import annotations

import sys
from pathlib import Path

from flowrl.pipeline.config import WANDB_ENV, wandb_from_env
from flowrl.pipeline.job_env import (
    GPU_SLOTS_ENV,
    JOB_GPUS_ENV,
    apply_gpu_share,
    gpu_memory_settings,
    gpu_slots_of,
    job_environment,
)


def test_jobs_run_this_interpreter_and_this_repository() -> None:
    env = job_environment("/repo", True, 4, {"PATH": "/usr/bin", "PYTHONPATH": "/extra"})
    assert env["PATH"].split(":")[0] == str(Path(sys.executable).parent)
    assert env["PYTHONPATH"] == "/repo:/extra"
    assert env[WANDB_ENV] == "1" and env[GPU_SLOTS_ENV] == "4"


def test_use_wandb_reaches_the_jobs_in_the_environment(monkeypatch) -> None:
    monkeypatch.setenv(WANDB_ENV, "1")
    assert wandb_from_env()
    monkeypatch.setenv(WANDB_ENV, "0")
    assert not wandb_from_env()


def test_k_jobs_on_one_gpu_share_its_memory() -> None:
    assert gpu_memory_settings(1, 1) == {
        "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
        "XLA_PYTHON_CLIENT_MEM_FRACTION": "0.900",
    }
    assert gpu_memory_settings(1, 4)["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.225"
    assert gpu_memory_settings(2, 4)["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.450"


def test_gpu_share_applies_only_in_gpu_jobs_and_never_over_the_users_settings() -> None:
    assert apply_gpu_share({}) == {}  # not a workflow job
    assert apply_gpu_share({JOB_GPUS_ENV: "0"}) == {}  # a CPU job (resources.gpu: 0)
    env = {JOB_GPUS_ENV: "1", GPU_SLOTS_ENV: "3", "XLA_PYTHON_CLIENT_MEM_FRACTION": "0.5"}
    assert apply_gpu_share(env) == {"XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
    assert env["XLA_PYTHON_CLIENT_MEM_FRACTION"] == "0.5"


def test_gpu_slots_come_from_the_global_gpu_resource() -> None:
    class Parsed:
        value = 4

    assert gpu_slots_of({"gpu": Parsed()}) == 4
    assert gpu_slots_of({"gpu": 2}) == 2
    assert gpu_slots_of({}) == 1
