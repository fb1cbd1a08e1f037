"""The reference-style API: ``generate_graph(db=None, return_inventory_graph=False, llm_name=None)``.

``db`` is a library state (the ``library.json`` mapping) or None for an empty library.
``generate_graph`` returns ``(db, graph)``, or ``(db, graph, inventory_graph, None)`` with
``return_inventory_graph``. ``graph.evaluate()`` runs one round of the chain (propose ->
spec -> reward reasoning -> code) and stores the result in ``db["next_skill"]``;
``inventory_graph.evaluate(proposal)`` runs only the spec step (requirements, consumption,
gain) for a proposal with name/description/gain.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flowrl.llm import chain
from flowrl.llm.providers import get_query
from flowrl.llm.query import PathLike, Query


def empty_library(env_name: str) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "env_name": env_name,
        "iteration": -1,
        "skills": [],
        "rejected": [],
        "frontier": [],
        "achievements": [],
    }


@dataclass
class SkillGraph:
    """One round of skill discovery for a library state."""

    env_name: str
    db: dict[str, Any]
    query: Query
    ledger: PathLike | None = None

    def evaluate(self) -> dict[str, Any]:
        messages = chain.build_prompt(self.env_name, self.db)
        proposal = chain.propose(self.query, self.env_name, messages, self.db, ledger=self.ledger)
        code = chain.write_code(
            self.query, self.env_name, proposal.value, self.db, ledger=self.ledger
        )
        result = {
            "spec": proposal.value,
            "source": code.value["source"],
            "reward_plan": code.value["reward_plan"],
            "prompt_tokens": proposal.prompt_tokens + code.prompt_tokens,
            "completion_tokens": proposal.completion_tokens + code.completion_tokens,
        }
        self.db["next_skill"] = result
        return result


@dataclass
class InventoryGraph:
    """Requirements / consumption / gain of a proposed skill (the spec step alone)."""

    env_name: str
    db: dict[str, Any]
    query: Query
    ledger: PathLike | None = None

    def evaluate(self, proposal: dict[str, Any]) -> dict[str, Any]:
        from flowrl.llm import context as ctx
        from flowrl.llm import prompts
        from flowrl.llm.schemas import skill_spec_schema
        from flowrl.llm.structured import ask, json_parser

        answer = ask(
            self.query,
            prompts.spec_messages(
                self.env_name, ctx.spec_context(self.env_name, proposal, self.db)
            ),
            json_parser(skill_spec_schema(), chain.check_spec),
            purpose="spec",
            max_reasks=self.query.settings.max_reasks,
            ledger=self.ledger,
        )
        return chain.check_spec({**answer.value, "name": proposal["name"]})


def generate_graph_for(
    env_name: str,
    db: dict[str, Any] | None = None,
    return_inventory_graph: bool = False,
    llm_name: str | None = None,
    *,
    ledger: PathLike | None = None,
) -> tuple[Any, ...]:
    """Shared implementation of the per-game ``generate_graph``."""
    db = empty_library(env_name) if db is None else db
    query = get_query(llm_name)
    query.preflight()
    graph = SkillGraph(env_name, db, query, ledger)
    if not return_inventory_graph:
        return db, graph
    return db, graph, InventoryGraph(env_name, db, query, ledger), None
