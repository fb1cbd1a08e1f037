"""Knowledge bases: verified game facts and working basic skills, per game.

Data lives in ``flowrl/resources/<folder>/knowledge_base.json``, the folder the game names
(``GameSpec.knowledge_base``: ``craftax_classic`` for Craftax-Classic, ``craftax`` for full
Craftax, ``fabrax`` for Fabrax), checked against
``flowrl/resources/schemas/knowledge_base.schema.json``. Each KB holds the game's
``recipes`` (crafting actions), ``placements``, ``mining`` (what each block yields and
which tool it needs), ``interactions``, tool tiers, the inventory cap, and ``skills``:
specs (see :mod:`flowrl.skills.spec`) whose code files live in ``<folder>/skills/``.
Every fact is checked against the released game by ``tests/test_knowledge.py``.

Accessors (what the offline LLM provider and the prompts use), each for a
:class:`~flowrl.envs.games.GameSpec`::

    has_knowledge_base(game) -> bool
    load_knowledge_base(game) -> dict      # the raw, schema-checked KB
    kb_skills(game) -> list[KBSkill]       # specs + code, in curriculum order
    kb_skill(game, name) -> KBSkill
    kb_specs(game) -> dict[str, SkillSpec] # name -> spec, curriculum order
    tool_keys(game) -> tuple[str, ...]     # tiered tool keys for the resolver
    kb_frontier(game, learned_specs) -> list[KBSkill]  # next skills whose needs are met

Curriculum order is the order of ``skills`` in the KB: every skill's requirements are
provided by skills listed before it, so "the first KB skill not yet learned whose
requirements are all provided" is a sensible next proposal.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from referencing import Registry, Resource

from flowrl.envs.games import GameSpec
from flowrl.skills.spec import SkillSpec, compute_frontier


@dataclass(frozen=True)
class KBSkill:
    """A knowledge-base skill: its spec, its code and the code's resource path."""

    spec: SkillSpec
    code: str
    path: str

    @property
    def name(self) -> str:
        return self.spec.name


def _folder(game: GameSpec) -> str:
    """The KB folder of ``game`` (a ValueError for a game without one)."""
    if game.knowledge_base is None:
        raise ValueError(
            f"{game.env_name} has no knowledge base; give its GameSpec a knowledge_base folder "
            "(docs/development.md, adding a game)"
        )
    return game.knowledge_base


def has_knowledge_base(game: GameSpec) -> bool:
    """Whether ``game`` has a knowledge base."""
    return game.knowledge_base is not None


def _resource_dir(folder: str) -> Any:
    return resources.files("flowrl.resources").joinpath(folder)


@cache
def schema(name: str) -> dict[str, Any]:
    """A JSON schema shipped in ``flowrl/resources/schemas`` (e.g. ``library``)."""
    text = (
        resources.files("flowrl.resources")
        .joinpath("schemas")
        .joinpath(f"{name}.schema.json")
        .read_text()
    )
    return json.loads(text)


def validator_for(name: str) -> Any:
    """A jsonschema validator for schema ``name`` that resolves references to sibling schemas."""
    registry = Registry()
    for other in ("skill_spec", "library", "knowledge_base"):
        doc = schema(other)
        resource = Resource.from_contents(doc)
        registry = registry.with_resources(
            [(doc["$id"], resource), (f"{other}.schema.json", resource)]
        )
    cls = jsonschema.validators.validator_for(schema(name))
    return cls(schema(name), registry=registry)


def schema_errors(name: str, data: Any) -> list[str]:
    """Messages for every way ``data`` breaks schema ``name`` (empty when valid)."""
    errors = sorted(validator_for(name).iter_errors(data), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in errors]


@cache
def _load_folder(folder: str) -> dict[str, Any]:
    data = json.loads(_resource_dir(folder).joinpath("knowledge_base.json").read_text())
    errors = schema_errors("knowledge_base", data)
    if errors:
        raise ValueError(f"knowledge base of {folder!r} is invalid: " + "; ".join(errors[:5]))
    return data


def load_knowledge_base(game: GameSpec) -> dict[str, Any]:
    """The schema-checked KB of ``game`` (a fresh copy, safe to modify)."""
    return json.loads(json.dumps(_load_folder(_folder(game))))


@cache
def _skills_of(folder: str) -> tuple[KBSkill, ...]:
    data = _load_folder(folder)
    base = _resource_dir(folder).joinpath("skills")
    out = []
    for entry in data["skills"]:
        spec = SkillSpec.from_dict({k: v for k, v in entry.items() if k != "code"})
        code = base.joinpath(entry["code"]).read_text()
        out.append(KBSkill(spec, code, f"{folder}/skills/{entry['code']}"))
    return tuple(out)


def kb_skills(game: GameSpec) -> list[KBSkill]:
    """The KB's basic skills (spec + code) for ``game``, in curriculum order."""
    return list(_skills_of(_folder(game)))


def kb_skill(game: GameSpec, name: str) -> KBSkill:
    """One KB skill by name (case-insensitive); KeyError lists the known names."""
    skills = _skills_of(_folder(game))
    for skill in skills:
        if skill.name.lower() == name.lower():
            return skill
    known = ", ".join(s.name for s in skills)
    raise KeyError(f"no KB skill {name!r} for {game.env_name}; known: {known}")


def kb_specs(game: GameSpec) -> dict[str, SkillSpec]:
    """Name -> spec of the KB skills, in curriculum order."""
    return {s.name: s.spec for s in kb_skills(game)}


def tool_keys(game: GameSpec) -> tuple[str, ...]:
    """Inventory keys that hold a tool tier in ``game`` (empty for Classic)."""
    return tuple(_load_folder(_folder(game))["tool_keys"])


def kb_frontier(game: GameSpec, learned: Mapping[str, SkillSpec]) -> list[KBSkill]:
    """KB skills not yet learned whose requirements are all gained by ``learned`` skills.

    ``learned`` maps names to specs (e.g. ``Library.specs()``), so skills the LLM wrote
    count as providers too. The result keeps curriculum order.
    """
    names = compute_frontier(kb_specs(game), learned)
    return [kb_skill(game, name) for name in names]
