"""Slot arithmetic: rounds of ``K`` parallel slots after ``first`` seeded ones.

Slots ``0..first-1`` come from ``start_from`` (or already exist in the tree); slots
``first..max_nodes-1`` run in rounds of ``K = max_parallel_skills``. Every slot of a round
prompts from the library after the previous round (the ``library.json`` of that round's
last slot, or ``init/library.json``); the round's last slot holds the merged commit.
K = 1 makes every slot its own round.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Slots:
    max_nodes: int
    k: int = 1
    first: int = 0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Slots:
        start = config.get("start_from") or {}
        return cls(
            int(config["max_nodes"]),
            int(config.get("max_parallel_skills") or 1),
            int(start.get("up_to", 0)),
        )

    def __post_init__(self) -> None:
        if self.k < 1 or self.max_nodes < 1 or not 0 <= self.first < self.max_nodes:
            raise ValueError(f"bad slots: {self}")

    @property
    def run(self) -> range:
        """Slots this run computes."""
        return range(self.first, self.max_nodes)

    def round_of(self, i: int) -> int:
        self._check(i)
        return (i - self.first) // self.k

    def round_slots(self, r: int) -> list[int]:
        start = self.first + r * self.k
        return list(range(start, min(start + self.k, self.max_nodes)))

    @property
    def num_rounds(self) -> int:
        return -(-(self.max_nodes - self.first) // self.k)

    def round_start(self, i: int) -> int:
        return self.round_slots(self.round_of(i))[0]

    def siblings_before(self, i: int) -> list[int]:
        """Slots of ``i``'s round proposed before ``i`` (``i`` is told their proposals)."""
        return list(range(self.round_start(i), i))

    def round_members(self, i: int) -> list[int]:
        return self.round_slots(self.round_of(i))

    def previous_library_slot(self, i: int) -> int | None:
        """Slot whose ``library.json`` ``i`` starts from (None: ``init/library.json``)."""
        start = self.round_start(i)
        return start - 1 if start > 0 else None

    def is_commit_slot(self, i: int) -> bool:
        """Does slot ``i`` hold its round's commit (``library.json``)?"""
        return i == self.round_members(i)[-1]

    @property
    def commit_slots(self) -> list[int]:
        return [self.round_slots(r)[-1] for r in range(self.num_rounds)]

    @property
    def last(self) -> int:
        return self.max_nodes - 1

    def _check(self, i: int) -> None:
        if not self.first <= i < self.max_nodes:
            raise ValueError(f"slot {i} is outside {self.first}..{self.max_nodes - 1}")
