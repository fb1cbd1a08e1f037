"""Which knowledge-base skill the offline provider proposes next, as a sensible model would.

The order aims at the deepest achievements first:

1. Only skills whose requirements the library already provides are *ready*.
2. Among ready skills, the one that is, or unlocks, the deepest skill comes first (its
   unlocks are the not-yet-learned skills that need what it gains, directly or through
   others: Collect Wood unlocks the table, which unlocks the pickaxes, ...); then the one
   that unlocks the most; knowledge-base order breaks ties.
3. Side skills (drink, food, saplings, swords: they unlock nothing) come when no ready skill
   unlocks anything.
4. A skill rejected once is retried (the plan stage resumes its earlier attempt's expert)
   when it unlocks open skills and leads deeper than every fresh ready skill (Collect Coal,
   on the way to the iron pickaxe, before the swords and saplings; not Eat Plant, deep but
   a dead end), or when nothing else is ready; a skill
   rejected twice is never proposed again. The retry may come in the very next slot with
   an unchanged library: resuming the expert amounts to a second budget for a skill on the
   way to the deepest achievements, which beats spending it on a side skill first.
5. When nothing is ready, the first open skill is proposed anyway (its plan will say what
   is missing).
6. Long plans: a skill of tier :data:`LONG_TIER` or deeper (Collect Iron's: plans of
   hundreds of steps, that outlast the thirst clock and cost a slot 10-20 minutes on a
   CPU) waits for the ready upkeep skills (restore food, drink or energy and need nothing:
   :mod:`flowrl.skills.upkeep`), so the long plans carry them; and a long one that
   unlocks nothing (Collect Diamond, Make Iron Sword) also waits for every ready shallower
   skill, so the cheap skills are banked before the dead ends that cost most.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, TypeVar

from flowrl.skills.upkeep import UPKEEP_LEVELS

MAX_REJECTIONS = 2
LONG_TIER = 6  # Collect Iron's tier in Craftax-Classic: wood, table, pickaxe, stone, ...


class Proposable(Protocol):
    @property
    def name(self) -> str: ...

    spec: dict[str, Any]


S = TypeVar("S", bound=Proposable)


def _key(name: object) -> str:
    return str(name).strip().lower()


def _items(mapping: object) -> set[str]:
    """Inventory items named by a requirements/gain mapping (achievement gains excluded)."""
    if not isinstance(mapping, Mapping):
        return set()
    return {str(k) for k in mapping if not str(k).startswith("achievement:")}


SPEC_FIELDS = frozenset({"requirements", "consumption", "gain"})


def learned_gain(entry: object) -> object:
    """A learned skill's gain in a propose context: its ``gain`` field (the context lists
    requirements, consumption and gain), or the entry itself (older contexts: name -> gain)."""
    if isinstance(entry, Mapping) and set(entry) & SPEC_FIELDS:
        return entry.get("gain") or {}
    return entry


def unlocks(skill: Proposable, open_skills: Iterable[Proposable]) -> set[str]:
    """Names of ``open_skills`` that need what ``skill`` gains, directly or through others."""
    pending = [s for s in open_skills if _key(s.name) != _key(skill.name)]
    have = _items(skill.spec.get("gain"))
    reached: set[str] = set()
    grew = True
    while grew:
        grew = False
        for other in pending:
            if _key(other.name) not in reached and _items(other.spec.get("requirements")) & have:
                reached.add(_key(other.name))
                have |= _items(other.spec.get("gain"))
                grew = True
    return reached


def _is_upkeep(skill: Proposable) -> bool:
    """Restores a need (its gain names food, drink or energy) and requires nothing."""
    gain = skill.spec.get("gain")
    needs = set(UPKEEP_LEVELS)
    return (
        isinstance(gain, Mapping)
        and bool(needs & set(gain))
        and not _items(skill.spec.get("requirements"))
    )


def depths(skills: Sequence[Proposable]) -> dict[str, int]:
    """Each skill's tier: 1 with no requirements, else 1 + the deepest requirement's
    shallowest provider (skills whose needs nothing provides are left out)."""
    depth: dict[str, int] = {}
    item_depth: dict[str, int] = {}
    changed = True
    while changed:
        changed = False
        for s in skills:
            needs = _items(s.spec.get("requirements"))
            if not needs <= item_depth.keys():
                continue
            d = 1 + max((item_depth[i] for i in needs), default=0)
            if d < depth.get(_key(s.name), d + 1):
                depth[_key(s.name)] = d
                for item in _items(s.spec.get("gain")):
                    if d < item_depth.get(item, d + 1):
                        item_depth[item] = d
                changed = True
    return depth


def next_skill(skills: Sequence[S], context: Mapping[str, Any]) -> S | None:
    """The skill to propose given a propose prompt's ``context`` (learned ``skills`` as
    name -> {requirements, consumption, gain}, or name -> gain, ``rejection_counts`` over the whole history, else the ``rejected``
    records, this round's ``siblings``); None when every skill is learned, proposed this
    round or rejected twice."""
    learned = context.get("skills") or {}
    counts = context.get("rejection_counts")
    if counts is None:  # an older context: only its (possibly truncated) rejection list
        counts = Counter(str(r.get("name", "")) for r in context.get("rejected") or [])
    rejections: Counter[str] = Counter()
    for name, count in counts.items():
        rejections[_key(name)] += int(count)
    taken = {_key(n) for n in learned} | {_key(n) for n in context.get("siblings") or []}
    provided = {item for entry in learned.values() for item in _items(learned_gain(entry))}
    open_ = [
        s for s in skills if _key(s.name) not in taken and rejections[_key(s.name)] < MAX_REJECTIONS
    ]
    if not open_:
        return None
    ready = [s for s in open_ if _items(s.spec.get("requirements")) <= provided]
    if not ready:
        return open_[0]
    tier = depths(skills)

    def value(s: S) -> tuple[int, int, int]:
        reached = unlocks(s, open_)
        deepest = max((tier.get(n, 0) for n in reached | {_key(s.name)}), default=0)
        return (deepest, len(reached), -ready.index(s))

    fresh = [s for s in ready if not rejections[_key(s.name)]]
    retry = [s for s in ready if rejections[_key(s.name)]]
    best = max(fresh, key=value, default=None)
    if best is not None and tier.get(_key(best.name), 0) >= LONG_TIER:
        short = [s for s in fresh if tier.get(_key(s.name), 0) < LONG_TIER]
        upkeep = [s for s in short if _is_upkeep(s)]
        if upkeep or (short and not unlocks(best, open_)):
            return max(upkeep or short, key=value)
    again = max(retry, key=value, default=None)
    if best is None or again is None:
        return again if best is None else best
    # a retry jumps the queue only on the way somewhere (it unlocks open skills): a deep
    # side skill (Eat Plant: sapling, plant, eat) rejected once waits for the fresh ones
    deepest, unlocked, _ = value(again)
    return again if unlocked and deepest > value(best)[0] else best
