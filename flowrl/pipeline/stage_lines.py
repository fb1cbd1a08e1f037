"""The one line each LLM stage prints when it ends: what happened (ok, rejected, or skipped
because an earlier stage rejected the slot), repairs used, and the LLM cost so far for the
tree, read from the slots' ledgers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flowrl.llm.ledger import format_cost, read_ledger, summarize
from flowrl.pipeline.layout import SLOT_FILES, SLOT_PREFIX
from flowrl.pipeline.status import REJECTED, SKIPPED


def tree_cost(ledger: str | Path | None) -> str:
    """``"; LLM so far for this tree: N calls, $X"`` from every ledger of the tree that holds
    ``ledger`` (slot ledgers and their candidates'); a ledger outside a slot folder counts
    alone. Empty when no ledger is kept."""
    if ledger is None:
        return ""
    path = Path(ledger).resolve()
    slot = next((d for d in path.parents if d.name.startswith(SLOT_PREFIX)), None)
    ledgers = (
        sorted(slot.parent.glob(f"{SLOT_PREFIX}*/**/{SLOT_FILES['ledger']}"))
        if slot is not None
        else [path]
    )
    total = summarize([r for p in ledgers for r in read_ledger(p)])
    return f"; LLM so far for this tree: {total['calls']} calls, {format_cost(total['cost_usd'])}"


def outcome(doc: dict[str, Any]) -> str | None:
    """``skipped (...)`` or ``rejected at <stage>: <reason>`` for such a document, else None."""
    if doc.get("status") == SKIPPED:
        return (
            f"skipped (the slot was rejected earlier, at {doc.get('stage')}: {doc.get('reason')})"
        )
    if doc.get("status") == REJECTED:
        return f"rejected at {doc.get('stage')}: {doc.get('reason')}"
    return None


def _repairs(n: int) -> str:
    return f"{n} repair{'s' if n != 1 else ''}"


def proposal_line(doc: dict[str, Any], ledger: str | Path | None) -> str:
    return f"proposal: {outcome(doc) or doc.get('name')}{tree_cost(ledger)}"


def code_line(status: dict[str, Any], ledger: str | Path | None) -> str:
    return f"code: {outcome(status) or 'written'}{tree_cost(ledger)}"


def validation_line(doc: dict[str, Any], ledger: str | Path | None) -> str:
    """e.g. ``validation: ok after 1 repair; LLM so far for this tree: 7 calls, $0.04``."""
    said = outcome(doc)
    if said is None:
        repairs = int(doc.get("repairs") or 0)
        if doc.get("ok"):
            said = f"ok after {_repairs(repairs)}" if repairs else "ok, no repair needed"
        else:
            said = f"rejected after {_repairs(repairs)}: " + "; ".join(doc.get("reasons") or [])
    return f"validation: {said}{tree_cost(ledger)}"
