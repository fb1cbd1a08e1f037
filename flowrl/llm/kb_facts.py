"""Game facts for prompts, formatted compactly from the verified knowledge base.

One line per mining rule, recipe, placement and interaction, plus the KB's notes. A step
that concerns one skill gets only the lines that mention its keys (:func:`relevant_facts`).
Games without a knowledge base get no facts rather than invented ones.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Fact:
    text: str
    keys: frozenset[str]


def _amounts(d: dict[str, Any] | None) -> str:
    return ", ".join(f"{k} {v}" for k, v in (d or {}).items()) or "nothing"


def _keys(*parts: Any) -> frozenset[str]:
    out: set[str] = set()
    for p in parts:
        if isinstance(p, dict):
            out |= {str(k).lower() for k in p}
        elif isinstance(p, list | tuple):
            out |= {str(x).lower() for x in p}
        elif p:
            out.add(str(p).lower())
    return frozenset(out)


def facts_from_kb(kb: dict[str, Any]) -> list[Fact]:
    """Structured KB entries as one-line facts with the keys they mention."""
    facts: list[Fact] = []
    for m in kb.get("mining") or []:
        prob = f" with probability {m['probability']}" if m.get("probability") else ""
        facts.append(
            Fact(
                f"mine {m['block']} (needs {_amounts(m.get('requires'))}) -> "
                f"{_amounts(m.get('yields'))}{prob}; achievement {m.get('achievement', '-')}",
                _keys(m.get("requires"), m.get("yields"), m.get("block"), m.get("achievement")),
            )
        )
    for r in kb.get("recipes") or []:
        near = " near " + "+".join(r.get("near") or []) if r.get("near") else ""
        facts.append(
            Fact(
                f"{r['action']}: uses {_amounts(r.get('requires'))}{near} -> "
                f"{_amounts(r.get('yields'))}",
                _keys(r.get("requires"), r.get("yields"), r.get("near"), r.get("achievement")),
            )
        )
    for p in kb.get("placements") or []:
        facts.append(
            Fact(
                f"{p['action']}: uses {_amounts(p.get('requires'))} -> places {p.get('places')} "
                f"onto {'/'.join(p.get('onto') or [])}",
                _keys(p.get("requires"), p.get("places"), p.get("achievement")),
            )
        )
    for i in kb.get("interactions") or []:
        facts.append(
            Fact(
                f"{i.get('name')}: {i.get('action')} facing {i.get('facing')} -> "
                f"{_amounts(i.get('effect'))}; achievement {i.get('achievement', '-')}",
                _keys(i.get("effect"), i.get("facing"), i.get("achievement")),
            )
        )
    general = []
    if kb.get("inventory_cap"):
        general.append(f"inventory counts are capped at {kb['inventory_cap']}")
    if kb.get("near"):
        general.append(str(kb["near"]))
    general.extend(str(n) for n in kb.get("notes") or [])
    facts.extend(Fact(g, frozenset({"*"})) for g in general)
    return facts


def load_facts(env_name: str) -> list[Fact]:
    """Facts of ``env_name``'s knowledge base (empty when the game has none)."""
    try:
        from flowrl.skills.knowledge import load_knowledge_base

        return facts_from_kb(load_knowledge_base(env_name))
    except (ImportError, ValueError, FileNotFoundError, KeyError):
        return []


def all_facts(env_name: str) -> list[str]:
    return [f.text for f in load_facts(env_name)]


def relevant_facts(env_name: str, keys: list[str], name: str = "") -> list[str]:
    """Facts that mention one of ``keys`` (or the name as an ACTION_NAME), plus general notes."""
    wanted = {k.lower().removeprefix("achievement:") for k in keys}
    if name:
        wanted.add(re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_"))
    return [f.text for f in load_facts(env_name) if "*" in f.keys or f.keys & wanted]
