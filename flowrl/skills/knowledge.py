"""Knowledge bases: verified game facts and working basic skills, per game family.

Data lives in ``flowrl/resources/<family>/knowledge_base.json`` (``craftax_classic`` for
Craftax-Classic, ``craftax`` for full Craftax), checked against
``flowrl/resources/schemas/knowledge_base.schema.json``. Each KB holds the game's
``recipes`` (crafting actions), ``placements``, ``mining`` (what each block yields and
which tool it needs), ``interactions``, tool tiers, the inventory cap, and ``skills``:
specs (see :mod:`flowrl.skills.spec`) whose code files live in ``<family>/skills/``.
Every fact is checked against the released game by ``tests/skills/test_knowledge.py``.

Accessors (what the offline LLM provider and the prompts use)::

    has_knowledge_base(env_name) -> bool
    load_knowledge_base(env_name) -> dict      # the raw, schema-checked KB
    kb_skills(env_name) -> list[KBSkill]       # specs + code, in curriculum order
    kb_skill(env_name, name) -> KBSkill
    kb_specs(env_name) -> dict[str, SkillSpec] # name -> spec, curriculum order
    tool_keys(env_name) -> tuple[str, ...]     # tiered tool keys for the resolver
    kb_frontier(env_name, learned_specs) -> list[KBSkill]  # next skills whose needs are met

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

from flowrl.envs.games import get_game
from flowrl.skills.spec import SkillSpec, compute_frontier

FAMILY_DIRS = {"classic": "craftax_classic", "craftax": "craftax", "fabrax": "fabrax"}
GAME_KBS = {"Fabrax-Symbolic-v1": "fabrax"}
"""Games with a KB of their own; others use their family's (Fabrax shares Classic's code
signature but adds its own blocks, items and skills)."""


@dataclass(frozen=True)
class KBSkill:
    """A knowledge-base skill: its spec, its code and the code's resource path."""

    spec: SkillSpec
    code: str
    path: str

    @property
    def name(self) -> str:
        return self.spec.name


def _family(env_name: str) -> str:
    """The KB key of ``env_name``: its own KB where it has one, else its family's."""
    family = get_game(env_name).family
    return GAME_KBS.get(env_name, family)


def has_knowledge_base(env_name: str) -> bool:
    """Whether ``env_name`` (a known game) has a knowledge base."""
    return _family(env_name) in FAMILY_DIRS


def _resource_dir(family: str) -> Any:
    if family not in FAMILY_DIRS:
        raise ValueError(f"no knowledge base for game family {family!r}")
    return resources.files("flowrl.resources").joinpath(FAMILY_DIRS[family])


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
def _load_family(family: str) -> dict[str, Any]:
    data = json.loads(_resource_dir(family).joinpath("knowledge_base.json").read_text())
    errors = schema_errors("knowledge_base", data)
    if errors:
        raise ValueError(f"knowledge base of {family!r} is invalid: " + "; ".join(errors[:5]))
    return data


def load_knowledge_base(env_name: str) -> dict[str, Any]:
    """The schema-checked KB of ``env_name``'s family (a fresh copy, safe to modify)."""
    return json.loads(json.dumps(_load_family(_family(env_name))))


@cache
def _skills_of(family: str) -> tuple[KBSkill, ...]:
    data = _load_family(family)
    base = _resource_dir(family).joinpath("skills")
    out = []
    for entry in data["skills"]:
        spec = SkillSpec.from_dict({k: v for k, v in entry.items() if k != "code"})
        code = base.joinpath(entry["code"]).read_text()
        out.append(KBSkill(spec, code, f"{FAMILY_DIRS[family]}/skills/{entry['code']}"))
    return tuple(out)


def kb_skills(env_name: str) -> list[KBSkill]:
    """The KB's basic skills (spec + code) for ``env_name``, in curriculum order."""
    return list(_skills_of(_family(env_name)))


def kb_skill(env_name: str, name: str) -> KBSkill:
    """One KB skill by name (case-insensitive); KeyError lists the known names."""
    for skill in _skills_of(_family(env_name)):
        if skill.name.lower() == name.lower():
            return skill
    known = ", ".join(s.name for s in _skills_of(_family(env_name)))
    raise KeyError(f"no KB skill {name!r} for {env_name}; known: {known}")


def kb_specs(env_name: str) -> dict[str, SkillSpec]:
    """Name -> spec of the KB skills, in curriculum order."""
    return {s.name: s.spec for s in kb_skills(env_name)}


def tool_keys(env_name: str) -> tuple[str, ...]:
    """Inventory keys that hold a tool tier in ``env_name`` (empty for Classic)."""
    return tuple(_load_family(_family(env_name))["tool_keys"])


def kb_frontier(env_name: str, learned: Mapping[str, SkillSpec]) -> list[KBSkill]:
    """KB skills not yet learned whose requirements are all gained by ``learned`` skills.

    ``learned`` maps names to specs (e.g. ``Library.specs()``), so skills the LLM wrote
    count as providers too. The result keeps curriculum order.
    """
    names = compute_frontier(kb_specs(env_name), learned)
    return [kb_skill(env_name, name) for name in names]
