"""Craftax-Classic skill discovery chain: ``generate_graph(db=None, return_inventory_graph=False,
llm_name=None)``. ``llm_name`` None uses the configured default (``gpt-5``)."""

from __future__ import annotations

from typing import Any

from flowrl.llm.chain import generate_graph_for
from flowrl.llm.query import PathLike

ENV_NAME = "Craftax-Classic-Symbolic-v1"


def generate_graph(
    db: dict[str, Any] | None = None,
    return_inventory_graph: bool = False,
    llm_name: str | None = None,
    *,
    ledger: PathLike | None = None,
) -> tuple[Any, ...]:
    """(db, graph) or (db, graph, inventory_graph, None); see :mod:`flowrl.llm.chain`."""
    return generate_graph_for(ENV_NAME, db, return_inventory_graph, llm_name, ledger=ledger)
