"""A skill planned over a library: the resolver's ordered steps plus each step's code.

Used by the pipeline's ``plan`` stage and by ``flowrl plan``; both turn a
:class:`LibraryPlan` into ``plan.json`` (:attr:`LibraryPlan.doc`) and, with code for every
step, a plan module (:meth:`LibraryPlan.module_source`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flowrl.envs.games import GameSpec
from flowrl.skills.knowledge import tool_keys
from flowrl.skills.plan_module import PlanStep, UpkeepSpec, build_plan_module
from flowrl.skills.resolver import Resolver
from flowrl.skills.spec import SkillSpec
from flowrl.skills.upkeep import UPKEEP_MIN_STEPS, upkeep_for


@dataclass(frozen=True)
class LibraryPlan:
    """``doc``: env_name, target, n, steps (skill, times, count, expert), upkeep (skill,
    need, below, until, expert); ``codes``: the source of every skill the steps and the
    upkeep name (empty when unknown); ``game``: the doc's game."""

    doc: dict[str, Any]
    codes: dict[str, str]
    game: GameSpec

    @property
    def missing_code(self) -> list[str]:
        return sorted({s["skill"] for s in self.doc["steps"] if not self.codes.get(s["skill"])})

    def module_source(self) -> str:
        """The steps compiled into one plan module (every step needs code)."""
        steps = [
            PlanStep(s["skill"], self.codes[s["skill"]], s["count"], s["expert"])
            for s in self.doc["steps"]
        ]
        upkeep = [
            UpkeepSpec(
                u["skill"], self.codes[u["skill"]], u["need"], u["below"], u["until"], u["expert"]
            )
            for u in self.doc.get("upkeep", [])
        ]
        return build_plan_module(steps, self.game, upkeep)


def plan_skill(
    game: GameSpec,
    library: Any,
    target: str,
    n: int = 1,
    proposal: dict[str, Any] | None = None,
    code: str | None = None,
    upkeep: bool = True,
) -> LibraryPlan:
    """Resolve ``target`` (run ``n`` times) over ``library``, plus ``proposal`` (a spec not
    yet in the library, with its ``code``) when given; with ``upkeep``, the library's
    upkeep skills (:mod:`flowrl.skills.upkeep`) join the plan."""
    specs = library.specs()
    codes = {s.name: s.code for s in library.skills}
    if proposal is not None:
        spec = SkillSpec.from_dict(proposal)
        specs[spec.name] = spec
        codes[spec.name] = code or ""
    resolver = Resolver(specs, game.inventory_cap, tool_keys(game))
    steps = resolver.plan(target, n)
    # the plan's network holds only its own skills' experts, numbered 0..k-1 in plan order
    # (checkpoints and warm starts go by skill name): a plan deep in a large library would
    # otherwise carry every library skill's expert, and above 8 experts a slower routing
    number = {name: k for k, name in enumerate(dict.fromkeys(s.skill for s in steps))}
    kept = []
    if upkeep and len(steps) >= UPKEEP_MIN_STEPS:
        kept = upkeep_for(library.specs(), codes, skip=[target], experts=number)
    doc = {
        "env_name": game.env_name,
        "target": target,
        "n": n,
        "steps": [{**s.to_dict(), "expert": number[s.skill]} for s in steps],
        "upkeep": [
            {
                "skill": u.name,
                "need": u.stat,
                "below": u.below,
                "until": u.until,
                "expert": u.expert,
            }
            for u in kept
        ],
    }
    return LibraryPlan(doc, codes, game)
