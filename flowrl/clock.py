"""Timestamps written into records and metadata (UTC, ISO 8601, whole seconds)."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now(timespec: str = "seconds") -> str:
    """The current time in UTC, e.g. ``2026-11-29T21:00:00+00:00`` (``timespec`` as in
    :meth:`datetime.isoformat`; the LLM ledger uses milliseconds to order calls)."""
    return datetime.now(UTC).isoformat(timespec=timespec)
