"""Slot arithmetic: rounds of K after the slots copied with start_from; K=1 is one slot per round."""

from __future__ import annotations

import pytest

from flowrl.pipeline.layout import Rounds


def test_sequential_slots_commit_each() -> None:
    s = Rounds(max_nodes=3)
    assert list(s.run) == [0, 1, 2]
    assert [s.previous_library_slot(i) for i in s.run] == [None, 0, 1]
    assert s.commit_slots == [0, 1, 2]
    assert all(s.siblings_before(i) == [] for i in s.run)


def test_parallel_rounds_share_the_previous_library() -> None:
    s = Rounds(max_nodes=5, k=2)
    assert [s.round_slots(r) for r in range(s.num_rounds)] == [[0, 1], [2, 3], [4]]
    assert [s.previous_library_slot(i) for i in s.run] == [None, None, 1, 1, 3]
    assert s.siblings_before(3) == [2] and s.siblings_before(2) == []
    assert s.commit_slots == [1, 3, 4]
    assert s.is_commit_slot(3) and not s.is_commit_slot(2)


def test_rounds_start_after_the_copied_slots() -> None:
    s = Rounds(max_nodes=6, k=2, first=3)
    assert list(s.run) == [3, 4, 5]
    assert s.round_slots(0) == [3, 4] and s.previous_library_slot(4) == 2
    assert s.commit_slots == [4, 5]
    with pytest.raises(ValueError):
        s.round_of(1)


def test_from_config_and_bad_values() -> None:
    s = Rounds.from_config(
        {"max_nodes": 4, "max_parallel_skills": 3, "start_from": {"tree": "t", "up_to": "1"}}
    )
    assert (s.max_nodes, s.k, s.first) == (4, 3, 1)
    with pytest.raises(ValueError):
        Rounds(max_nodes=2, first=2)
