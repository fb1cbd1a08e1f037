"""The trainer guards itself: a chunk with non-finite rewards, losses or parameters stops
training, names the plan step that paid the reward and keeps the last finite checkpoint."""

from __future__ import annotations

import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from flowrl.rl.guard import chunk_problem, suspect_reward_counts

from .conftest import CLASSIC, CLASSIC_GAME, RL_TINY_CONFIG

NAMES = ("Collect Wood", "Place Table")
FINITE = {"actor_loss": np.zeros(2), "value_loss": np.ones(2), "entropy": np.ones(2)}


def test_suspect_rewards_are_counted_per_plan_step():
    reward = jnp.array([[0.5, jnp.nan], [2e3, 1.0], [jnp.inf, -0.1]])
    step = jnp.array([[0, 1], [1, 1], [0, 0]])
    np.testing.assert_array_equal(suspect_reward_counts(reward, step, 2), [1, 2])


def test_a_finite_chunk_passes_and_a_poisoned_one_names_its_step():
    params = {"w": jnp.ones(3)}
    assert chunk_problem({**FINITE, "nonfinite_rewards": 0}, params, NAMES, 4) is None
    poisoned = {
        **FINITE,
        "value_loss": np.array([1.0, math.inf]),
        "nonfinite_rewards": np.array([0, 0]),
        "suspect_rewards": np.array([[0, 0], [0, 37]]),
    }
    reason = chunk_problem(poisoned, params, NAMES, 4)
    assert "after update 4" in reason and "value_loss became non-finite" in reason
    assert "plan step 1 (Place Table): 37 frames" in reason and "Collect Wood" not in reason
    assert "task_reward" in reason and "last finite" in reason
    nan_params = chunk_problem({**FINITE}, {"w": jnp.array([1.0, jnp.nan])}, NAMES, 0)
    assert "parameters became non-finite" in nan_params and "learning rate" in nan_params


_DONE = "def task_{k}_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n=1):\n    return {done}\n\n\n"
_REWARD = "def task_{k}_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):\n    return {reward}\n\n\n"
_NUMBER = "def task_{k}_network_number():\n    return {k}\n\n\n"


def _step(k: int, done: str, reward: str) -> str:
    return _DONE.format(k=k, done=done) + _REWARD.format(k=k, reward=reward) + _NUMBER.format(k=k)


@pytest.mark.slow
def test_nan_rewards_of_a_later_step_stop_training_and_keep_finite_params(tmp_path, capsys):
    """A plan written on disk (never validated): step 0 completes at once, step 1 pays the
    log of a negative number. `flowrl train` exits 1 with one sentence naming step 1."""
    from flowrl.cli import main
    from flowrl.rl.checkpoint import load_checkpoint

    plan = tmp_path / "plan_module.py"
    plan.write_text(
        'STEP_NAMES = ("Start", "Poisoned")\n\n'
        + _step(0, "inventory.wood >= 0", "inventory_diff.wood * 1.0")
        + _step(1, "inventory.wood >= 99", "jnp.log(inventory_diff.wood * 0.0 - 1.0)")
    )
    config = tmp_path / "tiny.yaml"
    config.write_text(RL_TINY_CONFIG)
    out = tmp_path / "skill_0"
    argv = ["train", "--plan", str(plan), "--env", CLASSIC, "--out", str(out)]
    assert main([*argv, "--config", str(config), "--no_progress"]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("flowrl train: error: training stopped"), err
    assert "plan step 1 (Poisoned)" in err and "plan step 0" not in err
    assert "Traceback" not in err and (out / "train_error.log").read_text().startswith("Traceback")
    params, meta = load_checkpoint(out / "checkpoint")
    assert meta["saved_params"] == "last finite" and meta["success"] is False
    assert all(bool(jnp.isfinite(leaf).all()) for leaf in jax.tree.leaves(params))
    assert json.dumps(meta)  # metadata stays plain JSON


def test_a_step_far_dearer_than_the_game_step_is_named_before_training():
    from flowrl.rl.guard import slow_step_warnings
    from flowrl.skills.plan_module import load_plan

    bomb = (
        "jnp.clip(jnp.matmul(jnp.matmul(jnp.ones((200, 200)) + inventory_diff.wood, "
        "jnp.ones((200, 200))), jnp.ones((200, 200))).sum(), 0.0, 0.0)"
    )
    plan = load_plan(
        'STEP_NAMES = ("Cheap", "Matrices")\n\n'
        + _step(0, "inventory.wood >= n", "inventory_diff.wood * 1.0")
        + _step(1, "inventory.wood >= n", bomb),
        CLASSIC_GAME,
    )
    (warning,) = slow_step_warnings(plan, CLASSIC_GAME)
    assert warning.startswith("plan step 1 (Matrices) costs about")
