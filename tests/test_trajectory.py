"""Trajectory summaries from real craftax rollouts, and applying analysis answers."""

from __future__ import annotations

import jax
import pytest

from flowrl.envs.games import get_game
from flowrl.skills.library import kb_library
from flowrl.skills.trajectory import AnalysisError, apply_analysis, summarize_trajectory

CLASSIC = "Craftax-Classic-Symbolic-v1"
GAME = get_game(CLASSIC)


@pytest.fixture(scope="module")
def wood_rollout():
    """A Classic state facing a tree; the policy presses DO three times, then NOOP.

    Mining turns a Classic tree into grass, so the tree is put back before every step.
    """
    game = get_game(CLASSIC)
    env = game.make_env()
    params = env.default_params
    _, state = jax.jit(env.reset)(jax.random.PRNGKey(0), params)
    pos = state.player_position
    tree = game.constants.BlockType.TREE.value
    state = state.replace(map=state.map.at[pos[0] - 1, pos[1]].set(tree), player_direction=3)
    step = jax.jit(env.step)
    actions = [5, 5, 5, 0]
    states = [state]
    for i, a in enumerate(actions):
        state = state.replace(map=state.map.at[pos[0] - 1, pos[1]].set(tree))
        _, state, _, _, _ = step(jax.random.PRNGKey(i), state, a, params)
        states.append(state)
    return states, actions


def test_summary_lists_only_changes(wood_rollout):
    states, actions = wood_rollout
    text = summarize_trajectory(states, actions, GAME)
    assert "Start floor: 0" in text
    assert "Actions: DO x3, NOOP x1" in text
    assert "t=1 after DO: wood +1 (now 1); achievement COLLECT_WOOD" in text
    assert "t=3 after DO: wood +1 (now 3)" in text
    assert "t=4" not in text  # NOOP changed nothing


def test_summary_accepts_a_stacked_pytree(wood_rollout):
    states, actions = wood_rollout
    stacked = jax.tree.map(lambda *xs: jax.numpy.stack(xs), *states)
    assert summarize_trajectory(stacked, actions, GAME) == summarize_trajectory(
        states, actions, GAME
    )


def test_apply_analysis_updates_spec_and_keeps_history(tmp_path):
    lib = kb_library(GAME, ["Collect Wood", "Place Crafting Table"])
    answer = {"requirements": {"wood": "lambda n: 3*n"}, "reason": "needed 3 wood in rollouts"}
    spec = apply_analysis(lib, "Place Crafting Table", answer, iteration=4)
    assert spec.requirements["wood"].a == 3
    skill = lib.get("Place Crafting Table")
    assert skill.history[-1]["spec"]["requirements"]["wood"] == "lambda n: 2*n"
    assert skill.history[-1]["reason"] == "needed 3 wood in rollouts"
    assert skill.spec.consumption["wood"].a == 2  # untouched fields stay
    lib.save(tmp_path / "library.json")
    from flowrl.skills.library import Library

    again = Library.load(tmp_path / "library.json")
    assert again.get("Place Crafting Table").history == skill.history


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        ({"requirements": {"wood": "__import__('os')"}}, "must be a lambda"),
        ({"gain": {}}, "gain something"),
        ({"name": "Other"}, "not 'Collect Wood'"),
        ({"colour": 1}, "unknown fields"),
        ([1, 2], "JSON object"),
    ],
)
def test_bad_analysis_answers_are_rejected(answer, why):
    lib = kb_library(GAME, ["Collect Wood"])
    with pytest.raises(AnalysisError, match=why):
        apply_analysis(lib, "Collect Wood", answer, iteration=1)
    assert lib.get("Collect Wood").history == []
