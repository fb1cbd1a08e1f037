"""Run the workflow (``workflow/Snakefile``) from Python through Snakemake's API.

``flowrl demo`` and the ``flowrl.bottomup*`` drivers translate their options into config
keys and call :func:`run_workflow`, so every entry point runs the same DAG.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from flowrl.pipeline.config import REPO_ROOT, SNAKEFILE, load_config


def config_args(overrides: Mapping[str, Any]) -> list[str]:
    """``--config`` words for Snakemake (values as JSON, which YAML parses back)."""
    words = []
    for key, value in overrides.items():
        text = value if isinstance(value, str) else json.dumps(value)
        words.append(f"{key}={text}")
    return ["--config", *words] if words else []


def snakemake_argv(
    overrides: Mapping[str, Any],
    configfiles: Sequence[str | Path] = (),
    cores: int | None = None,
    profile: str | None = None,
    targets: Sequence[str] = (),
    extra: Sequence[str] = (),
) -> list[str]:
    argv = ["--snakefile", str(SNAKEFILE), "--directory", str(REPO_ROOT)]
    if profile:
        argv += ["--profile", profile]
    if cores is not None:
        argv += ["--cores", str(cores)]
    if configfiles:
        argv += ["--configfile", *map(str, configfiles)]
    argv += [*extra, *targets]
    return argv + config_args(overrides)


def run_workflow(
    overrides: Mapping[str, Any],
    configfiles: Sequence[str | Path] = (),
    cores: int | None = None,
    profile: str | None = None,
    targets: Sequence[str] = (),
    extra: Sequence[str] = (),
) -> bool:
    """Validate the config here (clear errors first), then run Snakemake; True on success."""
    from snakemake.cli import args_to_api, parse_args

    load_config(dict(overrides), list(configfiles))
    if not _has_gpu():
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
    argv = snakemake_argv(overrides, configfiles, cores, profile, targets, extra)
    parser, args = parse_args(argv)
    return bool(args_to_api(args, parser))


def _has_gpu() -> bool:
    return Path("/dev/nvidia0").exists()
