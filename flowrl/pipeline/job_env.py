"""The environment the workflow's jobs inherit, and each GPU job's share of its device.

The Snakefile calls :func:`job_environment` once; every job (local or SLURM) inherits it:
``python -m flowrl`` resolves to this Snakemake's interpreter and this repository's package
(under ``--sdm conda`` the env's python comes first), W&B on/off travels outside the rule
params, and ``FLOWRL_GPU_SLOTS`` says how many GPU slots one device has (the global
``gpu`` resource: ``--resources gpu=4`` lets four one-slot jobs share it). A GPU job's shell
line starts with ``FLOWRL_JOB_GPUS={resources.gpu}``; :func:`apply_gpu_share` (first thing
in ``flowrl``'s CLI, before JAX loads) turns that into XLA's memory settings, so no job
preallocates the device whole.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, MutableMapping
from pathlib import Path

from flowrl.pipeline.config import WANDB_ENV

GPU_SLOTS_ENV = "FLOWRL_GPU_SLOTS"
JOB_GPUS_ENV = "FLOWRL_JOB_GPUS"
USABLE_FRACTION = 0.9
"""Of one device, what the jobs on it may take together (XLA's own default is 0.75 each)."""


def job_environment(
    repo: str | Path, use_wandb: bool, gpu_slots: int, environ: Mapping[str, str] = os.environ
) -> dict[str, str]:
    """Variables to set in the Snakemake process so its jobs inherit them."""
    path = [str(Path(sys.executable).parent), environ.get("PATH", "")]
    pythonpath = [str(repo), environ.get("PYTHONPATH", "")]
    return {
        "PATH": os.pathsep.join(filter(None, path)),
        "PYTHONPATH": os.pathsep.join(filter(None, pythonpath)),
        WANDB_ENV: "1" if use_wandb else "0",
        GPU_SLOTS_ENV: str(max(1, int(gpu_slots))),
    }


def gpu_memory_settings(job_gpus: float, gpu_slots: float) -> dict[str, str]:
    """XLA settings for a job holding ``job_gpus`` of a device's ``gpu_slots`` slots: no
    preallocation, and a cap of its share of :data:`USABLE_FRACTION`."""
    share = min(1.0, max(job_gpus, 0.0) / max(gpu_slots, 1.0)) * USABLE_FRACTION
    return {
        "XLA_PYTHON_CLIENT_PREALLOCATE": "false",
        "XLA_PYTHON_CLIENT_MEM_FRACTION": f"{share:.3f}",
    }


def apply_gpu_share(environ: MutableMapping[str, str] = os.environ) -> dict[str, str]:
    """In a workflow GPU job, set XLA's memory settings (a user's own settings win);
    returns what was set. Outside a job (no ``FLOWRL_JOB_GPUS``) it does nothing."""
    job = environ.get(JOB_GPUS_ENV)
    if not job or float(job) <= 0:
        return {}
    wanted = gpu_memory_settings(float(job), float(environ.get(GPU_SLOTS_ENV) or 1))
    applied = {k: v for k, v in wanted.items() if k not in environ}
    environ.update(applied)
    return applied


def gpu_slots_of(global_resources: Mapping[str, object]) -> int:
    """The global ``gpu`` resource of a Snakemake run (``--resources gpu=N``), else 1."""
    value = global_resources.get("gpu")
    value = getattr(value, "value", value)
    try:
        return max(1, int(str(value)))
    except (TypeError, ValueError):
        return 1
