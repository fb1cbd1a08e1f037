"""The cost side of the client: the append-only ledger of LLM calls (``llm_calls.jsonl``)
and the price table (``flowrl/resources/pricing.yaml``, $ per 1M tokens).

Each ledger record is written with one ``write`` on a file opened with ``O_APPEND`` while
holding an exclusive ``flock``, so lines from concurrent processes never interleave.

Unknown models cost ``None`` ("unknown"), never a guess. Dated snapshots such as
``gpt-4o-mini-2024-07-18`` use their base model's price unless the table lists the
snapshot itself (``gpt-4o-2024-05-13`` was priced differently, for example).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from flowrl.llm.types import ConfigurationError, Message, Usage

# -- ledger -------------------------------------------------------------------------------
try:  # POSIX advisory lock; O_APPEND alone still keeps small writes whole elsewhere
    import fcntl
except ImportError:  # pragma: no cover - non-POSIX
    fcntl = None  # type: ignore[assignment]

LEDGER_FIELDS = (
    "ts",
    "llm_name",
    "model",
    "provider",
    "purpose",
    "prompt_hash",
    "prompt_tokens",
    "cached_prompt_tokens",
    "completion_tokens",
    "reasoning_tokens",
    "tokens_estimated",
    "prompt_size_tokens_est",
    "cost_usd",
    "latency_s",
    "attempts",
    "cache_hit",
    "error",
)


def canonical_json(obj: Any) -> str:
    """Deterministic JSON used for hashing."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def prompt_hash(messages: list[Message]) -> str:
    """Short content hash of a prompt (first 16 hex digits of sha256)."""
    return hashlib.sha256(canonical_json(messages).encode()).hexdigest()[:16]


def append_record(path: str | os.PathLike[str], record: dict[str, Any]) -> None:
    """Append ``record`` as one JSON line to ``path`` (parents created), safely across processes."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n").encode()
    fd = os.open(p, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            view = memoryview(line)
            while view:
                written = os.write(fd, view)
                view = view[written:]
        finally:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def read_ledger(path: str | os.PathLike[str]) -> Iterator[dict[str, Any]]:
    """Records of a ledger file, in order (nothing if it does not exist)."""
    p = Path(path)
    if not p.is_file():
        return
    with p.open() as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def summarize(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Totals over ledger records: calls, tokens by kind, dollars (None if any cost unknown).

    A failed call counts with what the server billed for it; one without billed tokens
    (a refused or unanswered request) costs nothing."""
    total: dict[str, Any] = {
        "calls": len(records),
        "cache_hits": sum(1 for r in records if r.get("cache_hit")),
        "errors": sum(1 for r in records if r.get("error")),
        "prompt_tokens": 0,
        "cached_prompt_tokens": 0,
        "completion_tokens": 0,
        "reasoning_tokens": 0,
        "cost_usd": 0.0,
    }
    unknown = False
    for r in records:
        for key in (
            "prompt_tokens",
            "cached_prompt_tokens",
            "completion_tokens",
            "reasoning_tokens",
        ):
            total[key] += int(r.get(key) or 0)
        billed = any(int(r.get(k) or 0) for k in ("prompt_tokens", "completion_tokens"))
        if r.get("cost_usd") is None and (billed or not r.get("error")):
            unknown = True
        else:
            total["cost_usd"] += float(r.get("cost_usd") or 0.0)
    if unknown:
        total["cost_usd"] = None
    return total


# -- pricing ------------------------------------------------------------------------------
_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")


@dataclass(frozen=True)
class Price:
    """USD per 1M tokens. ``cached_input`` None means the model has no cached-input discount."""

    input: float
    output: float
    cached_input: float | None = None


@dataclass(frozen=True)
class PriceTable:
    """Loaded price table with its provenance."""

    prices: dict[str, Price]
    date: str
    source: str
    path: str

    def lookup(self, model: str) -> Price | None:
        """Price of ``model``: exact name, else the base name of a dated snapshot, else None."""
        name = model.strip()
        if name in self.prices:
            return self.prices[name]
        base = _SNAPSHOT.sub("", name)
        if base != name and base in self.prices:
            return self.prices[base]
        return None

    def cost(self, model: str, usage: Usage) -> float | None:
        """Dollars for ``usage`` on ``model``; None when the model has no listed price."""
        price = self.lookup(model)
        if price is None:
            return None
        cached = min(usage.cached_prompt_tokens, usage.prompt_tokens)
        cached_rate = price.input if price.cached_input is None else price.cached_input
        dollars = (
            (usage.prompt_tokens - cached) * price.input
            + cached * cached_rate
            + usage.completion_tokens * price.output
        ) / 1_000_000
        return round(dollars, 10)


def _number(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigurationError(f"{where} must be a non-negative number, got {value!r}")
    return float(value)


def parse_price_table(data: dict[str, Any], path: str = "<mapping>") -> PriceTable:
    """Validate the YAML mapping of a price file."""
    if not isinstance(data, dict) or not isinstance(data.get("models"), dict):
        raise ConfigurationError(f"{path}: expected a mapping with a 'models' mapping")
    for key in ("date", "source"):
        if not data.get(key):
            raise ConfigurationError(f"{path}: the price table must state its {key!r}")
    prices: dict[str, Price] = {}
    for name, row in data["models"].items():
        if not isinstance(row, dict):
            raise ConfigurationError(f"{path}: models.{name} must be a mapping")
        cached = row.get("cached_input")
        prices[str(name)] = Price(
            input=_number(row.get("input"), f"{path}: models.{name}.input"),
            output=_number(row.get("output"), f"{path}: models.{name}.output"),
            cached_input=None
            if cached is None
            else _number(cached, f"{path}: models.{name}.cached_input"),
        )
    return PriceTable(prices, str(data["date"]), str(data["source"]), path)


@lru_cache(maxsize=8)
def _load(path: str, mtime: float) -> PriceTable:
    return parse_price_table(yaml.safe_load(Path(path).read_text()) or {}, path)


def load_price_table(path: str | Path) -> PriceTable:
    """Load (and cache per file version) the price table at ``path``.

    A missing file gives an empty table, so every cost is "unknown" rather than guessed.
    """
    p = Path(path)
    if not p.is_file():
        return PriceTable({}, "", f"no price file at {p}", str(p))
    return _load(str(p.resolve()), p.stat().st_mtime)


def format_cost(dollars: float | None) -> str:
    """Human form of a cost: ``$0.000123`` or ``unknown``."""
    return "unknown" if dollars is None else f"${dollars:.6f}"
