"""Fabrax skill discovery chain: ``generate_graph(db=None, return_inventory_graph=False,
llm_name=None)``.

Fabrax shares Craftax-Classic's skill-code signature; the chain is the same one, run on
the Fabrax game (``flowrl.envs.fabrax``) with Fabrax's own knowledge base
(``flowrl/resources/fabrax``). If the game module cannot be imported, calls fail with a
message naming it.
"""

from __future__ import annotations

import importlib
from typing import Any

from flowrl.llm.chain import generate_graph_for
from flowrl.llm.query import PathLike
from flowrl.llm.types import ConfigurationError

FABRAX_MODULE = "flowrl.envs.fabrax"


def env_name() -> str:
    """The registered Fabrax env name (raises ConfigurationError until Fabrax exists)."""
    try:
        module = importlib.import_module(FABRAX_MODULE)
    except ModuleNotFoundError as exc:
        raise ConfigurationError(
            f"Fabrax is not available: the game module {FABRAX_MODULE} does not exist yet "
            f"({exc}). Use flowrl.llm.craftax_classic.llm or flowrl.llm.craftax.llm meanwhile."
        ) from exc
    name = getattr(module, "ENV_NAME", None)
    if name:
        return str(name)
    from flowrl.envs.games import GAMES

    names = [n for n in GAMES if "fabrax" in n.lower()]
    if not names:
        raise ConfigurationError(f"{FABRAX_MODULE} registered no Fabrax game")
    return names[0]


def generate_graph(
    db: dict[str, Any] | None = None,
    return_inventory_graph: bool = False,
    llm_name: str | None = None,
    *,
    ledger: PathLike | None = None,
) -> tuple[Any, ...]:
    """(db, graph) or (db, graph, inventory_graph, None); see :mod:`flowrl.llm.chain`."""
    return generate_graph_for(env_name(), db, return_inventory_graph, llm_name, ledger=ledger)
