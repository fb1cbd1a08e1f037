"""Workflow config: ``config/config.yaml`` + overlays, validated by the workflow's schema.

The Snakefile and the Python drivers (``flowrl demo``, ``flowrl.bottomup``) read the same
defaults and schema, so there is one source of truth for every key.
"""

from __future__ import annotations

import copy
import json
import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from flowrl.pipeline.config_types import ConfigTypeError, coerce_config

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_CONFIG = REPO_ROOT / "config" / "config.yaml"
SCHEMA = REPO_ROOT / "workflow" / "schemas" / "config.schema.yaml"
SNAKEFILE = REPO_ROOT / "workflow" / "Snakefile"
# use_wandb reaches the jobs in the environment, not as a rule param: W&B on/off reruns nothing
WANDB_ENV = "FLOWRL_USE_WANDB"


class ConfigError(ValueError):
    """A workflow config that breaks the schema or the pipeline's rules."""


def read_yaml(path: str | Path) -> dict[str, Any]:
    data = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping")
    return data


def deep_update(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Merge ``extra`` into a copy of ``base`` (nested mappings merged, like Snakemake)."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = deep_update(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def coerce_strings(config: dict[str, Any], schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """Command-line strings (``--config seeds=[0,1]``, ``'llm={max_repairs: 1}'``) typed as
    the schema or the settings dataclass asks (:mod:`flowrl.pipeline.config_types`); a value
    that cannot take its type raises :class:`ConfigError` naming the key."""
    try:
        return coerce_config(config, schema if schema is not None else read_yaml(SCHEMA))
    except ConfigTypeError as exc:
        raise ConfigError(str(exc)) from exc


def validate_config(config: dict[str, Any]) -> dict[str, Any]:
    """Check ``config`` against the schema (filling defaults) and the cross-key rules."""
    schema = read_yaml(SCHEMA)
    config = coerce_strings(config, schema)
    validator_cls = jsonschema.validators.validator_for(schema)
    errors = sorted(validator_cls(schema).iter_errors(config), key=lambda e: list(e.path))
    if errors:
        lines = [f"{'.'.join(map(str, e.path)) or '(top)'}: {e.message}" for e in errors[:8]]
        raise ConfigError("invalid workflow config:\n  " + "\n  ".join(lines))
    out = copy.deepcopy(config)
    for key, prop in schema["properties"].items():
        if key not in out and "default" in prop:
            out[key] = copy.deepcopy(prop["default"])
    check_rules(out)
    return out


def check_rules(config: Mapping[str, Any]) -> None:
    """Rules a schema cannot say: start_from must leave slots to run; seeds are distinct and
    do not contradict ``seed``; W&B logging needs wandb installed; a candidate's probe
    budget must be at least one frame."""
    start = config.get("start_from")
    if start and int(start["up_to"]) >= int(config["max_nodes"]):
        raise ConfigError(
            f"start_from.up_to={start['up_to']} reuses every slot of max_nodes="
            f"{config['max_nodes']}; raise max_nodes to continue"
        )
    seeds = config.get("seeds")
    if seeds:
        if len(set(seeds)) != len(seeds):
            raise ConfigError(f"seeds={list(seeds)} repeats a seed; list each seed once")
        if "seed" in config and int(config["seed"]) not in (0, int(seeds[0])):
            raise ConfigError(
                f"seed={config['seed']} and seeds={list(seeds)} disagree: the first of seeds "
                "is the run's seed; drop seed or start seeds with it"
            )
    if config.get("use_wandb"):
        import importlib.util

        if importlib.util.find_spec("wandb") is None:
            raise ConfigError(
                "use_wandb: true needs wandb: pip install 'flowrl[wandb]' (or set use_wandb: false)"
            )
    if int(config.get("candidates") or 1) > 1 and probe_timesteps(config) < 1:
        raise ConfigError(
            f"candidate_probe_fraction={config.get('candidate_probe_fraction')} of "
            f"total_timesteps={config['total_timesteps']} leaves the candidates' probes no "
            "frames; raise candidate_probe_fraction or total_timesteps"
        )


def run_seeds(config: Mapping[str, Any]) -> list[int]:
    """The seeds every slot trains and evaluates with: ``seeds``, or ``[seed]``. The first
    keeps the slot's own paths and drives the library; the rest go to ``seeds/seed_{s}/``."""
    seeds = config.get("seeds") or [config.get("seed", 0)]
    return [int(s) for s in seeds]


def baseline_frames(config: Mapping[str, Any]) -> int:
    """The baseline's frame budget: ``baseline.total_timesteps``, or the tree's frame budget
    (``max_nodes x total_timesteps``; early-stopped slots spend less, see docs/evaluation.md)."""
    own = (config.get("baseline") or {}).get("total_timesteps")
    if own:
        return int(float(own))
    return int(config["max_nodes"]) * int(float(config["total_timesteps"]))


def analyse_enabled(config: Mapping[str, Any]) -> bool:
    """Does the analyse stage run? ``analyse: true/false``, or (null) whenever a real model
    is used: the offline provider's corrections need no model, so it is off by default."""
    value = config.get("analyse")
    if value is None:
        return str(config.get("llm_name")) != "offline"
    return bool(value)


def probe_timesteps(config: Mapping[str, Any]) -> int:
    """Frames of each candidate's probe: ``candidate_probe_fraction`` of the slot's budget."""
    fraction = float(config.get("candidate_probe_fraction") or 0.25)
    return int(float(config["total_timesteps"]) * fraction)


def load_config(
    overrides: Mapping[str, Any] | None = None,
    configfiles: list[str | Path] | None = None,
) -> dict[str, Any]:
    """Defaults, then each config file, then ``overrides``; validated."""
    config = read_yaml(DEFAULT_CONFIG)
    for path in configfiles or []:
        config = deep_update(config, read_yaml(path))
    return validate_config(deep_update(config, overrides or {}))


def tree_dir(config: Mapping[str, Any]) -> str:
    """The output tree: ``tree_dir`` or ``{results_dir}/{env_name}/{llm_name}``."""
    if config.get("tree_dir"):
        return str(config["tree_dir"]).rstrip("/")
    return f"{config['results_dir']}/{config['env_name']}/{config['llm_name']}"


def llm_cache_dir(config: Mapping[str, Any]) -> str:
    return str(config.get("llm_cache_dir") or f"{tree_dir(config)}/.llm_cache")


def train_settings(config: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword settings for :func:`flowrl.rl.config.load_config` (profile separate)."""
    settings = dict((config.get("train") or {}).get("settings") or {})
    settings["total_timesteps"] = int(float(config["total_timesteps"]))
    settings.setdefault("seed", run_seeds(config)[0])
    return settings


def as_arg(value: Any) -> str:
    """A JSON value quoted for one shell word (rules pass settings this way)."""
    return shlex.quote(json.dumps(value, sort_keys=True, separators=(",", ":")))


def wandb_from_env() -> bool:
    """The workflow's ``use_wandb`` as the Snakefile hands it to its jobs (``WANDB_ENV``)."""
    return os.environ.get(WANDB_ENV, "0") == "1"
