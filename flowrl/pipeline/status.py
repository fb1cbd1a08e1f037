"""Stage status files: every stage writes its outputs even when the slot is rejected.

A rejected or skipped stage output carries ``{"status": "rejected"|"skipped", "stage",
"reason"}`` so later stages pass the rejection along and ``commit`` records it; the DAG
stays static and nothing loops.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

OK = "ok"
REJECTED = "rejected"
SKIPPED = "skipped"


def read_json(path: str | Path) -> Any:
    return json.loads(Path(path).read_text())


def rejection(doc: Any) -> dict[str, Any] | None:
    """``{"stage", "reason"}`` when a stage document says the slot is rejected, else None."""
    if not isinstance(doc, dict):
        return None
    if doc.get("status") in (REJECTED, SKIPPED):
        return {"stage": doc.get("stage", "?"), "reason": doc.get("reason", "?")}
    if doc.get("ok") is False:  # validation.json of the LLM layer
        reasons = doc.get("reasons") or ["validation failed"]
        return {"stage": doc.get("stage", "validate"), "reason": "; ".join(map(str, reasons))}
    return None


def first_rejection(*paths: str | Path) -> dict[str, Any] | None:
    """The earliest rejection among existing stage documents, in the order given."""
    for path in paths:
        if Path(path).is_file():
            found = rejection(read_json(path))
            if found:
                return found
    return None


def skipped(stage: str, upstream: dict[str, Any]) -> dict[str, Any]:
    """What a stage writes when an earlier stage rejected the slot."""
    return {
        "status": SKIPPED,
        "stage": upstream["stage"],
        "reason": upstream["reason"],
        "skipped_stage": stage,
    }


def rejected(stage: str, reason: str, **extra: Any) -> dict[str, Any]:
    return {"status": REJECTED, "stage": stage, "reason": reason, **extra}
