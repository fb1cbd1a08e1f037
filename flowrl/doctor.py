"""`flowrl doctor`: what a bug report needs, in one block to paste.

Versions, JAX's backend and devices (in a child process, so this holds no GPU), the
kernel's Landlock ABI (the validation sandbox), the SLURM executor plugin, whether an LLM
key is set (never its value) and the results folder's free space.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import platform
import shutil
import sys
from pathlib import Path
from typing import Any

PACKAGES = (
    "flowrl",
    "jax",
    "jaxlib",
    "jax-cuda12-plugin",
    "flax",
    "optax",
    "craftax",
    "snakemake",
    "snakemake-executor-plugin-slurm",
    "openai",
)
KEY_VARIABLES = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "WANDB_API_KEY")
SETTINGS_VARIABLES = ("JAX_PLATFORMS", "CUDA_VISIBLE_DEVICES", "XLA_PYTHON_CLIENT_MEM_FRACTION")


def _version(package: str) -> str:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _jax() -> list[tuple[str, str]]:
    from flowrl.pipeline.jax_runtime import GPUPreflightError, probe

    try:
        info = probe("Craftax-Classic-Symbolic-v1", 1, throughput=False, allow_cpu=True)
    except GPUPreflightError as exc:
        return [("jax backend", f"probe failed: {str(exc).splitlines()[0]}")]
    return [("jax backend", info["backend"]), ("jax devices", ", ".join(info["devices"]))]


def _results_dir() -> Path:
    from flowrl.pipeline.config import DEFAULT_CONFIG, read_yaml

    configured = read_yaml(DEFAULT_CONFIG).get("results_dir", "results")
    return Path(configured)


def _free_space(folder: Path) -> str:
    probe = folder if folder.exists() else next(p for p in folder.absolute().parents if p.exists())
    usage = shutil.disk_usage(probe)
    return (
        f"{usage.free / 2**30:.1f} GiB free of {usage.total / 2**30:.1f} GiB ({probe.absolute()})"
    )


def report(results_dir: Path | None = None) -> list[tuple[str, str]]:
    """The doctor's lines as (name, value) pairs."""
    from flowrl.skills.sandbox import landlock_abi

    rows: list[tuple[str, Any]] = [
        ("python", f"{platform.python_version()} ({sys.executable})"),
        ("platform", f"{platform.platform()} {platform.machine()}"),
    ]
    import flowrl

    rows += [(package, _version(package)) for package in PACKAGES[1:]]
    rows.insert(2, ("flowrl", f"{flowrl.__version__} ({Path(flowrl.__file__).parent})"))
    rows += _jax()
    abi = landlock_abi()
    rows.append(("landlock abi", f"{abi}" if abi else "0 (unavailable: sandbox without Landlock)"))
    slurm = _version("snakemake-executor-plugin-slurm")
    sbatch = shutil.which("sbatch")
    rows.append(("slurm", f"plugin {slurm}; sbatch {'at ' + sbatch if sbatch else 'not on PATH'}"))
    for name in KEY_VARIABLES:
        rows.append((name, "set" if os.environ.get(name) else "not set"))
    llm_api = importlib.util.find_spec("llm_api") is not None
    rows.append(("llm_api module", "importable" if llm_api else "not importable"))
    for name in SETTINGS_VARIABLES:
        rows.append((name, os.environ.get(name, "not set")))
    folder = results_dir or _results_dir()
    rows.append(("results folder", _free_space(folder)))
    return [(name, str(value)) for name, value in rows]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--results-dir", type=Path, default=None, help="default: results_dir of config.yaml"
    )


def run(args: argparse.Namespace) -> int:
    rows = report(args.results_dir)
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value}")
    return 0
