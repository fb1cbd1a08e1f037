"""On-disk response cache keyed by (provider identity, model, messages, generation params).

Entries are JSON files written to a temporary file in the same directory and moved into
place with ``os.replace``, so concurrent readers see either nothing or a whole entry.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_text_atomic
from flowrl.llm.ledger import canonical_json, utc_now
from flowrl.llm.types import Message, Usage


def cache_key(identity: str, model: str, messages: list[Message], params: dict[str, Any]) -> str:
    """sha256 over everything that can change the answer."""
    payload = {"identity": identity, "model": model, "messages": messages, "params": params}
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


class ResponseCache:
    """Directory of cached completions, one file per key (sharded by the first 2 hex digits)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored entry for ``key`` (text, usage, model) or None; corrupt entries miss."""
        path = self._path(key)
        try:
            entry = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            return None
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
            return None
        return entry

    def put(self, key: str, text: str, usage: Usage, model: str) -> None:
        """Store an answer atomically."""
        path = self._path(key)
        entry = {"text": text, "usage": usage.to_dict(), "model": model, "created": utc_now()}
        write_text_atomic(path, json.dumps(entry, ensure_ascii=False))
