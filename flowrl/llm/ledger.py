"""Append-only JSON-lines ledger of LLM calls (``llm_calls.jsonl``).

Each record is written with one ``write`` on a file opened with ``O_APPEND`` while holding an
exclusive ``flock``, so lines from concurrent processes never interleave.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flowrl.llm.types import Message

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


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


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
    """Totals over ledger records: calls, tokens by kind, dollars (None if any cost unknown)."""
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
        if r.get("cost_usd") is None and not r.get("error"):
            unknown = True
        else:
            total["cost_usd"] += float(r.get("cost_usd") or 0.0)
    if unknown:
        total["cost_usd"] = None
    return total
