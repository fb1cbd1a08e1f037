"""Settings of the LLM layer: defaults in code (shipped with the package), overridable.

One precedence order, later ones winning, whoever calls (``flowrl llm``, a Snakemake rule,
Python):

1. the defaults below (and the price table ``flowrl/resources/pricing.yaml``);
2. the ``llm:`` section of the workflow config: the one Snakemake merged from
   ``config/config.yaml``, ``--configfile`` presets and ``--config`` (passed as
   ``workflow=``), else the repository's ``config/config.yaml`` when there is one;
3. the YAML file named by ``$FLOWRL_LLM_CONFIG`` (top-level keys or an ``llm:`` section);
4. an explicit path or mapping given to :func:`load_settings`, then keyword overrides.

Nothing is looked up from the working directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from flowrl.llm.types import ConfigurationError

DEFAULT_LLM_NAME = "gpt-5"
REASONING_EFFORTS = ("minimal", "low", "medium", "high")


@dataclass(frozen=True)
class RetrySettings:
    """Bounded exponential backoff with jitter for 429 / 5xx / timeouts / connection errors.

    Attempt ``k`` (1-based) that fails transiently waits
    ``min(max_delay_s, base_delay_s * 2**(k-1))``, scaled by a random factor in
    ``[1 - jitter, 1]``, before attempt ``k + 1``. After ``max_attempts`` the call fails.
    """

    max_attempts: int = 5
    base_delay_s: float = 1.0
    max_delay_s: float = 30.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ConfigurationError(
                f"llm.retry.max_attempts must be >= 1, not {self.max_attempts!r}"
            )
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ConfigurationError("llm.retry delays must be >= 0")
        if not 0.0 <= self.jitter <= 1.0:
            raise ConfigurationError(f"llm.retry.jitter must be within [0, 1], not {self.jitter!r}")


INTEGER_MINIMUMS = {"max_gen": 1, "reasoning_max_gen": 1, "max_reasks": 0, "max_repairs": 0}
"""The integer settings and their least allowed value."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@dataclass(frozen=True)
class LLMSettings:
    """Everything the LLM layer reads from config."""

    llm_name: str = DEFAULT_LLM_NAME
    timeout_s: float = 240.0
    """Per-attempt timeout given to the HTTP client (a slow reasoning answer must fit)."""
    deadline_s: float = 280.0
    """Total wall time of one call, all attempts and waits included; ends a hang in < 5 min."""
    heartbeat_s: float = 30.0
    """While an attempt is waiting for its answer, print a "still waiting" line this often."""
    max_gen: int = 4096
    """Completion budget for chat models (``max_tokens``)."""
    reasoning_max_gen: int = 16384
    """Completion budget for GPT-5 / o-series (``max_completion_tokens``; includes reasoning)."""
    temperature: float = 0.0
    """Sent to chat models only; GPT-5 and o-series refuse it."""
    reasoning_effort: str | None = "low"
    """``reasoning_effort`` for models that accept it (GPT-5 family, o1, o3, o4-mini):
    minimal/low/medium/high, or None for the model's default (medium). Never sent to others."""
    max_reasks: int = 2
    """Re-asks of a structured answer that failed to parse or validate (so 1 + max_reasks tries)."""
    max_repairs: int = 2
    """LLM repair rounds of skill code that failed validation."""
    cache_enabled: bool = True
    cache_dir: str = ".cache/llm"
    pricing_path: str | None = None
    """None -> the price table shipped with flowrl (``flowrl/resources/pricing.yaml``)."""
    retry: RetrySettings = field(default_factory=RetrySettings)

    def __post_init__(self) -> None:
        for name in ("timeout_s", "deadline_s", "heartbeat_s"):
            value = getattr(self, name)
            if not _is_number(value) or value <= 0:
                raise ConfigurationError(
                    f"llm.{name} must be a positive number of seconds, not {value!r}"
                )
        for name, least in INTEGER_MINIMUMS.items():
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise ConfigurationError(f"llm.{name} must be an integer >= {least}, not {value!r}")
        if not _is_number(self.temperature) or not 0 <= self.temperature <= 2:
            raise ConfigurationError(
                f"llm.temperature must be a number from 0 to 2, not {self.temperature!r}"
            )
        effort = self.reasoning_effort
        if effort is not None and effort not in REASONING_EFFORTS:
            raise ConfigurationError(
                f"llm.reasoning_effort {effort!r} is not one of {', '.join(REASONING_EFFORTS)} "
                "(or null for the model's default)"
            )


# The repository's workflow config (absent in a non-editable install, which is fine).
WORKFLOW_CONFIG = Path(__file__).resolve().parents[2] / "config" / "config.yaml"


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ConfigurationError(f"cannot parse {path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigurationError(f"{path} must hold a mapping")
    return data


def _merge(settings: LLMSettings, data: dict[str, Any], source: str) -> LLMSettings:
    known = {f.name for f in fields(LLMSettings)}
    updates: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            raise ConfigurationError(
                f"unknown llm setting {key!r} in {source}; known: {', '.join(sorted(known))}"
            )
        if key == "retry" and isinstance(value, RetrySettings):
            updates[key] = value
        elif key == "retry":
            if not isinstance(value, dict):
                raise ConfigurationError(f"llm.retry in {source} must be a mapping")
            retry_known = {f.name for f in fields(RetrySettings)}
            bad = set(value) - retry_known
            if bad:
                raise ConfigurationError(
                    f"unknown llm.retry setting(s) {sorted(bad)} in {source}; "
                    f"known: {', '.join(sorted(retry_known))}"
                )
            try:
                updates[key] = replace(settings.retry, **value)
            except ConfigurationError as exc:
                raise ConfigurationError(f"{exc} (set in {source})") from exc
        else:
            updates[key] = value
    try:
        return replace(settings, **updates)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{exc} (set in {source})") from exc


def _section(data: dict[str, Any], whole_file_is_section: bool) -> dict[str, Any]:
    if "llm" in data and isinstance(data["llm"], dict):
        return data["llm"]
    return data if whole_file_is_section else {}


def load_settings(
    source: str | os.PathLike[str] | dict[str, Any] | None = None,
    *,
    workflow: dict[str, Any] | None = None,
    search_defaults: bool = True,
    **overrides: Any,
) -> LLMSettings:
    """Build :class:`LLMSettings` in the module's precedence order.

    ``workflow``: the workflow config's ``llm:`` section (None: read the repository's
    ``config/config.yaml``). ``search_defaults=False`` skips layers 2 and 3.
    """
    settings = LLMSettings()
    if search_defaults:
        if workflow is not None:
            settings = _merge(settings, workflow, "the workflow config's llm: section")
        elif WORKFLOW_CONFIG.is_file():
            data = _section(_read_yaml(WORKFLOW_CONFIG), False)
            settings = _merge(settings, data, str(WORKFLOW_CONFIG))
        env_path = os.environ.get("FLOWRL_LLM_CONFIG")
        if env_path:
            settings = _merge(settings, _section(_read_yaml(Path(env_path)), True), env_path)
    if isinstance(source, dict):
        settings = _merge(settings, _section(source, True), "the given mapping")
    elif source is not None:
        settings = _merge(settings, _section(_read_yaml(Path(source)), True), str(source))
    if overrides:
        settings = _merge(settings, overrides, "keyword overrides")
    return settings


def pricing_file(settings: LLMSettings) -> Path:
    """Where the price table lives for ``settings``: ``pricing_path``, else the shipped one."""
    if settings.pricing_path:
        return Path(settings.pricing_path)
    return Path(str(resources.files("flowrl.resources").joinpath("pricing.yaml")))
