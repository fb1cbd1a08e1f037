"""Resolver: one target skill -> an ordered plan over the library, with target counts.

The plan is built in two passes over a simple model of the game state (:class:`Holdings`:
inventory counts, tool tiers, floor, achievements and the ephemeral facts that hold now):

1. **Just in time.** To run a skill ``k`` times, first the ephemeral facts it needs
   (a table nearby) are scheduled right before it, inlined each time they no longer hold;
   then every missing requirement of that block (items, tiers, achievements) is obtained
   recursively from its provider: for items the provider runs just enough times, for
   tiered tools the lowest sufficient tier is chosen. Items already held are not produced
   again. A block that needs more of an item than the inventory cap is split into chunks.
2. **Merge.** A later run of a non-ephemeral skill is moved up into an earlier run of the
   same skill (counts added) whenever the whole plan stays valid under simulation: every
   requirement met, no item above the cap, ephemeral facts still holding.

An ephemeral fact holds from the step that creates it until a step that neither creates
an ephemeral fact nor needs one (that step walks away). The target's last run is always
the last step. Everything is deterministic: no sets are iterated, ties break by order.

Errors (:class:`ResolverError`) name the item: a missing provider, a cycle, a block over
the cap.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from flowrl.skills.spec import Gain, SkillSpec

MAX_STEPS = 400
MAX_ROUNDS = 64


class ResolverError(ValueError):
    """The target cannot be planned; the message names the item or skill at fault."""


class MissingProviderError(ResolverError):
    """No skill in the library provides a required item."""


class CycleError(ResolverError):
    """Providing an item needs, transitively, the skill that asked for it."""


class CapError(ResolverError):
    """One run of a skill needs more of an item than the inventory can hold."""


@dataclass(frozen=True)
class Step:
    """One plan step: run ``skill`` ``times`` times; ``count`` is the target bound to ``n``.

    ``count`` is the level of the skill's first gain after the step for inventory, tool
    and floor gains (``inventory.wood >= 9``), otherwise the number of runs.
    """

    skill: str
    times: int
    count: int

    def to_dict(self) -> dict[str, int | str]:
        return {"skill": self.skill, "times": self.times, "count": self.count}


@dataclass
class Holdings:
    """What the agent has at one point of a plan."""

    inventory: dict[str, int] = field(default_factory=dict)
    tiers: dict[str, int] = field(default_factory=dict)
    achievements: list[str] = field(default_factory=list)
    ephemeral: list[str] = field(default_factory=list)
    level: int = 0

    def copy(self) -> Holdings:
        return Holdings(
            dict(self.inventory),
            dict(self.tiers),
            list(self.achievements),
            list(self.ephemeral),
            self.level,
        )


class Resolver:
    """Plans over ``skills`` (name -> spec) for a game with inventory cap ``cap``.

    ``tool_keys`` are requirement/gain keys holding a tool tier (full Craftax ``pickaxe``
    and ``sword``); a plain gain on such a key is read as the tier it sets.
    """

    def __init__(
        self,
        skills: Mapping[str, SkillSpec],
        cap: int,
        tool_keys: Iterable[str] = (),
    ) -> None:
        if cap < 1:
            raise ValueError("the inventory cap must be >= 1")
        self.skills = dict(skills)
        self.cap = cap
        self.tool_keys = tuple(tool_keys)

    # --- facts about keys ---------------------------------------------------------
    def gain_type(self, gain: Gain) -> str:
        if gain.key in self.tool_keys and gain.type == "inventory":
            return "tool"
        return gain.type

    def gain_tier(self, gain: Gain) -> int:
        return gain.tier if gain.tier is not None else int(gain.amount.b + gain.amount.a)

    def providers(self, key: str) -> list[tuple[str, Gain]]:
        """Skills gaining ``key``, in library order."""
        return [(name, s.gain[key]) for name, s in self.skills.items() if key in s.gain]

    def key_kind(self, key: str) -> str:
        """How a requirement on ``key`` is read: inventory, tool, ephemeral, level, ..."""
        if key in self.tool_keys:
            return "tool"
        kinds = [self.gain_type(g) for _, g in self.providers(key)]
        if kinds:
            return kinds[0]
        if key.startswith("achievement:"):
            return "achievement"
        return "inventory"

    # --- simulation ---------------------------------------------------------------
    def unmet(self, skill: str, times: int, h: Holdings) -> list[str]:
        """Requirements of ``skill`` x ``times`` not met by ``h`` (keys, spec order)."""
        spec = self.skills[skill]
        missing = []
        for key, amount in spec.requirements.items():
            need = amount.count(times)
            kind = self.key_kind(key)
            if need <= 0:
                continue
            if kind == "ephemeral" or kind == "stat":
                ok = key in h.ephemeral
            elif kind == "tool":
                ok = h.tiers.get(key, 0) >= need
            elif kind == "achievement":
                ok = key in h.achievements
            elif kind == "level":
                ok = h.level >= need
            else:
                ok = h.inventory.get(key, 0) >= need
            if not ok:
                missing.append(key)
        return missing

    def apply(self, skill: str, times: int, h: Holdings, clip: bool = True) -> bool:
        """Run ``skill`` x ``times`` on ``h`` in place; False if an item would pass the cap."""
        spec = self.skills[skill]
        within_cap = True
        needs_ephemeral = any(self.key_kind(k) in ("ephemeral", "stat") for k in spec.requirements)
        makes_ephemeral = any(
            self.gain_type(g) in ("ephemeral", "stat") for g in spec.gain.values()
        )
        if not (needs_ephemeral or makes_ephemeral):
            h.ephemeral = []
        for key, amount in spec.consumption.items():
            if self.key_kind(key) == "inventory":
                h.inventory[key] = max(0, h.inventory.get(key, 0) - amount.count(times))
        for key, gain in spec.gain.items():
            kind = self.gain_type(gain)
            if kind == "inventory":
                value = h.inventory.get(key, 0) + gain.amount.count(times)
                if value > self.cap:
                    within_cap = False
                h.inventory[key] = min(self.cap, value) if clip else value
            elif kind == "tool":
                h.tiers[key] = max(h.tiers.get(key, 0), self.gain_tier(gain))
            elif kind == "level":
                h.level += gain.amount.count(times)
            elif kind == "achievement":
                if key not in h.achievements:
                    h.achievements.append(key)
            elif key not in h.ephemeral:  # ephemeral / stat facts
                h.ephemeral.append(key)
        return within_cap

    def simulate(self, steps: list[tuple[str, int]], start: Holdings) -> tuple[bool, Holdings]:
        """Whether ``steps`` run validly from ``start`` (requirements met, cap respected)."""
        h = start.copy()
        for skill, times in steps:
            if self.unmet(skill, times, h) or not self.apply(skill, times, h):
                return False, h
        return True, h

    # --- pass 1: just in time -------------------------------------------------------
    def plan(self, target: str, n: int = 1, start: Holdings | None = None) -> list[Step]:
        """Ordered steps that end with ``target`` run ``n`` times."""
        if target not in self.skills:
            known = ", ".join(self.skills) or "(empty library)"
            raise ResolverError(f"unknown skill {target!r}; the library has: {known}")
        if n < 1:
            raise ResolverError("the target count n must be >= 1")
        start = start.copy() if start else Holdings()
        self._h = start.copy()
        self._steps: list[tuple[str, int]] = []
        self._achieve(target, n, stack=())
        steps = self._merge(self._steps, start, target)
        ok, _ = self.simulate(steps, start)
        if not ok:  # would be a resolver bug: fail loudly rather than emit a wrong plan
            raise ResolverError(f"internal error: the plan for {target!r} does not simulate")
        return self._with_counts(steps, start)

    def _emit(self, skill: str, times: int) -> None:
        if len(self._steps) >= MAX_STEPS:
            raise ResolverError(f"the plan grew beyond {MAX_STEPS} steps while adding {skill!r}")
        self.apply(skill, times, self._h)
        self._steps.append((skill, times))

    def _ephemeral_block(self, skill: str, stack: tuple[str, ...]) -> list[str]:
        """Ephemeral providers to run right before ``skill`` (dependencies first)."""
        block: list[str] = []

        def visit(name: str, path: tuple[str, ...]) -> None:
            for key, amount in self.skills[name].requirements.items():
                if self.key_kind(key) not in ("ephemeral", "stat") or amount.count(1) <= 0:
                    continue
                if key in self._h.ephemeral:
                    continue
                provider = self._choose_provider(key, name, 1)
                if provider in path or provider in stack:
                    raise CycleError(f"cycle on {key!r}: " + " -> ".join((*stack, *path, provider)))
                if provider not in block:
                    visit(provider, (*path, provider))
                    block.append(provider)

        visit(skill, (skill,))
        return block

    def _demand(self, block: list[tuple[str, int]]) -> list[tuple[str, str, int]]:
        """(key, kind, amount) the block needs held before its first step, in spec order."""
        order: list[str] = []
        for skill, _ in block:
            spec = self.skills[skill]
            for key in [*spec.requirements, *spec.consumption]:
                kind = self.key_kind(key)
                if kind not in ("ephemeral", "stat") and key not in order:
                    order.append(key)
        needs = {key: 0 for key in order}
        # backwards: need before a step = max(its requirement, need after - net gain)
        for skill, times in reversed(block):
            spec = self.skills[skill]
            for key in order:
                kind = self.key_kind(key)
                need = needs[key]
                if kind in ("inventory", "level"):
                    gained = spec.gain[key].amount.count(times) if key in spec.gain else 0
                    used = spec.consumption[key].count(times) if key in spec.consumption else 0
                    need = max(0, need - gained + used)
                elif key in spec.gain:
                    need = 0  # the block provides it itself
                if key in spec.requirements:
                    need = max(need, spec.requirements[key].count(times))
                needs[key] = need
        return [(key, self.key_kind(key), needs[key]) for key in order]

    def _achieve(self, skill: str, times: int, stack: tuple[str, ...]) -> None:
        if skill in stack:
            raise CycleError("cycle: " + " -> ".join((*stack, skill)))
        chunk = self._chunk(skill, times)
        while times > 0:
            now = min(chunk, times)
            self._achieve_once(skill, now, (*stack, skill))
            times -= now

    def _chunk(self, skill: str, times: int) -> int:
        """Largest number of runs whose block fits the inventory cap."""
        block = [(p, 1) for p in self._ephemeral_block(skill, ())]
        for k in range(times, 0, -1):
            over = [
                (key, amount)
                for key, kind, amount in self._demand([*block, (skill, k)])
                if kind == "inventory" and amount > self.cap
            ]
            if not over:
                return k
            if k == 1:
                key, amount = over[0]
                raise CapError(
                    f"one run of {skill!r} needs {amount} {key!r} but the inventory holds at "
                    f"most {self.cap}"
                )
        return 1

    def _achieve_once(self, skill: str, times: int, stack: tuple[str, ...]) -> None:
        for _ in range(MAX_ROUNDS):
            block = [(p, 1) for p in self._ephemeral_block(skill, stack[:-1])] + [(skill, times)]
            missing = None
            for key, kind, amount in self._demand(block):
                if not self._holds(key, kind, amount):
                    missing = (key, kind, amount)
                    break
            if missing is None:
                for name, k in block:
                    self._emit(name, k)
                return
            self._obtain(*missing, requester=skill, stack=stack)
        raise ResolverError(f"could not meet the requirements of {skill!r} (no progress)")

    def _holds(self, key: str, kind: str, amount: int) -> bool:
        if kind == "tool":
            return self._h.tiers.get(key, 0) >= amount
        if kind == "achievement":
            return amount <= 0 or key in self._h.achievements
        if kind == "level":
            return self._h.level >= amount
        return self._h.inventory.get(key, 0) >= amount

    def _choose_provider(self, key: str, requester: str, need: int) -> str:
        candidates = [(name, g) for name, g in self.providers(key) if name != requester]
        if not candidates:
            raise MissingProviderError(
                f"no skill in the library provides {key!r} (required by {requester!r})"
            )
        if self.key_kind(key) == "tool":
            sufficient = [(self.gain_tier(g), i, name) for i, (name, g) in enumerate(candidates)]
            sufficient = [c for c in sufficient if c[0] >= need]
            if not sufficient:
                best = max(self.gain_tier(g) for _, g in candidates)
                raise MissingProviderError(
                    f"no skill provides {key!r} at tier {need} (best: tier {best}; "
                    f"required by {requester!r})"
                )
            return min(sufficient)[2]
        # prefer providers that need fewest things, then library order
        ranked = sorted(
            enumerate(candidates), key=lambda c: (len(self.skills[c[1][0]].requirements), c[0])
        )
        return ranked[0][1][0]

    def _obtain(
        self, key: str, kind: str, amount: int, requester: str, stack: tuple[str, ...]
    ) -> None:
        provider = self._choose_provider(key, requester, amount)
        if provider in stack:
            raise CycleError(f"cycle on {key!r}: " + " -> ".join((*stack, provider)))
        gain = self.skills[provider].gain[key]
        if kind in ("inventory", "level"):
            deficit = amount - (self._h.level if kind == "level" else self._h.inventory.get(key, 0))
            a, b = gain.amount.a, gain.amount.b
            if a > 0:
                times = max(1, math.ceil((deficit - b) / a - 1e-9))
            else:
                times = 1
                if b <= 0:
                    raise MissingProviderError(
                        f"{provider!r} lists {key!r} as a gain but gains none of it"
                    )
        else:
            times = 1
        self._achieve(provider, times, stack)

    # --- pass 2: merge, drop and trim ----------------------------------------------------
    def _merge(
        self, steps: list[tuple[str, int]], start: Holdings, target: str
    ) -> list[tuple[str, int]]:
        """Improve a valid plan while it stays valid: merge repeated runs of a skill into
        the earliest one, drop ephemeral steps whose fact still holds, and trim runs that
        gather more than the rest of the plan needs. Repeats until nothing changes."""
        steps = list(steps)
        for _ in range(MAX_STEPS):
            better = self._improve_once(steps, start, target)
            if better is None:
                return steps
            steps = better
        return steps

    def _improve_once(
        self, steps: list[tuple[str, int]], start: Holdings, target: str
    ) -> list[tuple[str, int]] | None:
        last = len(steps) - 1
        for i in range(last):
            name, times = steps[i]
            if self._is_ephemeral_skill(name) or name == target:
                continue
            for j in range(i + 1, last):
                if steps[j][0] == name:
                    merged = [
                        *steps[:i],
                        (name, times + steps[j][1]),
                        *steps[i + 1 : j],
                        *steps[j + 1 :],
                    ]
                    if self.simulate(merged, start)[0]:
                        return merged
        for i in range(last):
            if self._is_ephemeral_skill(steps[i][0]):
                dropped = steps[:i] + steps[i + 1 :]
                if self.simulate(dropped, start)[0]:
                    return dropped
        for i in range(last):
            name, times = steps[i]
            if name == target:
                continue
            for fewer in range(1, times):
                trimmed = [*steps[:i], (name, fewer), *steps[i + 1 :]]
                if self.simulate(trimmed, start)[0]:
                    return trimmed
        return None

    def _is_ephemeral_skill(self, name: str) -> bool:
        spec = self.skills[name]
        return spec.ephemeral or any(
            self.gain_type(g) in ("ephemeral", "stat") for g in spec.gain.values()
        )

    def _with_counts(self, steps: list[tuple[str, int]], start: Holdings) -> list[Step]:
        h = start.copy()
        out = []
        for skill, times in steps:
            self.apply(skill, times, h)
            gain = self.skills[skill].primary_gain
            kind = self.gain_type(gain)
            if kind == "inventory":
                count = h.inventory.get(gain.key, 0)
            elif kind == "tool":
                count = h.tiers.get(gain.key, 0)
            elif kind == "level":
                count = h.level
            else:
                count = times
            out.append(Step(skill, times, max(1, count)))
        return out


def format_plan(steps: list[Step], target: str) -> str:
    """Human-readable plan, one numbered line per step."""
    lines = [f"Plan for {target!r} ({len(steps)} steps):"]
    for i, step in enumerate(steps, 1):
        lines.append(f"{i:3d}. {step.skill}  x{step.times}  (n={step.count})")
    return "\n".join(lines)
