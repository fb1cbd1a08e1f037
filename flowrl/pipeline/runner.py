"""Run the workflow (``workflow/Snakefile``) from Python through Snakemake's API.

``flowrl demo`` and the ``flowrl.bottomup*`` drivers translate their options into config
keys and call :func:`run_workflow`, so every entry point runs the same DAG.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from flowrl.pipeline.config import REPO_ROOT, SNAKEFILE, load_config


def overrides_file(overrides: Mapping[str, Any]) -> Path:
    """The overrides as a config file (``--config`` would turn nested numbers into strings)."""
    folder = Path(tempfile.mkdtemp(prefix="flowrl-config-"))
    path = folder / "overrides.yaml"
    path.write_text(json.dumps(dict(overrides), indent=1))  # JSON is YAML
    return path


def snakemake_argv(
    overrides: Mapping[str, Any],
    configfiles: Sequence[str | Path] = (),
    cores: int | str | None = None,
    profile: str | None = None,
    targets: Sequence[str] = (),
    extra: Sequence[str] = (),
) -> list[str]:
    argv = ["--snakefile", str(SNAKEFILE), "--directory", str(REPO_ROOT)]
    if profile:
        argv += ["--profile", profile]
    if cores is not None:
        argv += ["--cores", str(cores)]
    files = [*map(str, configfiles)] + ([str(overrides_file(overrides))] if overrides else [])
    if files:
        argv += ["--configfile", *files]
    return [*argv, *extra, *targets]


def run_workflow(
    overrides: Mapping[str, Any],
    configfiles: Sequence[str | Path] = (),
    cores: int | str | None = None,
    profile: str | None = None,
    targets: Sequence[str] = (),
    extra: Sequence[str] = (),
) -> bool:
    """Validate the config here (clear errors first), then run Snakemake; True on success."""
    # deliberately lazy: Snakemake's API is slow to import and only a run needs it
    from snakemake.cli import args_to_api, parse_args

    load_config(dict(overrides), list(configfiles))
    if not _has_gpu():
        os.environ.setdefault("JAX_PLATFORMS", "cpu")
    argv = snakemake_argv(overrides, configfiles, cores, profile, targets, extra)
    parser, args = parse_args(argv)
    return bool(args_to_api(args, parser))


def _has_gpu() -> bool:
    return Path("/dev/nvidia0").exists()
