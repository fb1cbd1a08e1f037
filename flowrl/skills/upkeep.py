"""Upkeep: the library's skills that keep a long plan alive.

In every game here food, drink and energy drain by themselves (Craftax-Classic: drink by 1
every ~21 steps, food every ~26, energy every ~31), and once one is empty health drains by
1 every ~16 steps. A player who never drinks dies after about 330 steps, whatever the plan:
a deep plan (iron, a furnace, an iron pickaxe) takes longer than that, so it can only
succeed if someone drinks, eats and sleeps on the way. No plan step is about that, and an
expert trained for one step has no reason to care about the thirst of the steps after it.

An *upkeep skill* is an accepted library skill that restores one need (its spec gains
``food``, ``drink`` or ``energy``) and requires nothing, so it can run anywhere. A plan
carries at most one per need (:func:`upkeep_for`); the flow env runs it, with its own
expert and reward, whenever that need falls to ``below``, until it is back at ``until``,
then returns to the interrupted step (:mod:`flowrl.envs.flow_env`). The levels leave time
to walk to water or a cow before health starts to drain.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from flowrl.skills.plan_module import UpkeepSpec
from flowrl.skills.spec import SkillSpec

UPKEEP_LEVELS: dict[str, tuple[int, int]] = {
    "drink": (3, 8),  # 3 drink left: ~60 steps before it empties, ~200 before death
    "food": (3, 7),  # one cow gives 6 food
    "energy": (2, 9),  # sleeping ends by itself at full energy
}
"""Need -> (start at or below, stop at or above)."""

UPKEEP_MIN_STEPS = 7
"""Plans shorter than this get no upkeep. Every upkeep skill adds an expert, and the
rollout's forward pass runs every expert (``select`` routing), while Classic's plans below the iron tier (Make Stone Pickaxe: 6 steps, a median episode of
about 100 steps) end long before a need runs out; Collect Iron's plan has 7 steps."""


def is_upkeep(spec: SkillSpec, need: str) -> bool:
    """``spec`` restores ``need`` and requires nothing."""
    gain = spec.gain.get(need)
    return gain is not None and gain.type == "stat" and not spec.requirements


def upkeep_for(
    specs: Mapping[str, SkillSpec],
    codes: Mapping[str, str],
    skip: Iterable[str] = (),
    experts: Mapping[str, int] | None = None,
) -> list[UpkeepSpec]:
    """One upkeep skill per need (the first in ``specs`` order with code), leaving out the
    names in ``skip`` (e.g. the plan's target). Experts: ``experts[name]`` when the skill
    already has one in the plan, else numbered after them."""
    numbers = dict(experts or {})
    skipped = set(skip)
    out = []
    for need, (below, until) in UPKEEP_LEVELS.items():
        name = next(
            (
                n
                for n, spec in specs.items()
                if n not in skipped and codes.get(n) and is_upkeep(spec, need)
            ),
            None,
        )
        if name is None:
            continue
        if name not in numbers:
            numbers[name] = max(numbers.values(), default=-1) + 1
        out.append(UpkeepSpec(name, codes[name], need, below, until, numbers[name]))
    return out
