"""Batched resets: every mode hands finished envs a fresh world, pool refreshes gradually."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from flowrl.envs.resets import ResetConfig, VecEnv

NUM_ENVS = 8
TIMEOUT = 4


@pytest.fixture(scope="module")
def flow_env():
    from flowrl.envs.flow_env import FlowEnv
    from flowrl.skills.plan_module import single_skill_plan
    from tests.conftest import CLASSIC, skill_source

    plan = single_skill_plan(skill_source("collect_wood.py"), CLASSIC, "Collect Wood", 9)
    return FlowEnv(CLASSIC, plan, max_episode_steps=TIMEOUT)


def run(vec: VecEnv, steps: int):
    @jax.jit
    def go(key):
        _obs, state = vec.reset(key)

        def body(carry, key):
            state = carry
            _, state, _reward, done, _info = vec.step(key, state, jnp.zeros(NUM_ENVS, jnp.int32))
            return state, (done, state.env_state.episode_length, state.env_state.player_state)

        return jax.lax.scan(body, state, jax.random.split(key, steps))

    return go(jax.random.PRNGKey(0))


@pytest.mark.parametrize("mode", ["pool", "optimistic", "naive"])
def test_finished_envs_restart(flow_env, mode):
    vec = VecEnv(flow_env, NUM_ENVS, ResetConfig(mode=mode, refresh_every=2, reset_ratio=4))
    state, (done, length, step) = run(vec, 2 * TIMEOUT + 1)
    done, length = np.asarray(done), np.asarray(length)
    assert done[TIMEOUT - 1].all() and done[2 * TIMEOUT - 1].all()  # timeouts end episodes
    assert (length[TIMEOUT - 1] == 0).all()  # ... and the returned state is a fresh episode
    assert (length[TIMEOUT] == 1).all()
    assert int(np.asarray(state.env_state.env_state.timestep).max()) == 1
    assert (np.asarray(step) == 0).all()


def test_no_reset_mode_keeps_stepping(flow_env):
    vec = VecEnv(flow_env, NUM_ENVS, ResetConfig(mode="none"))
    _, (_done, length, _) = run(vec, TIMEOUT + 2)
    assert np.asarray(length)[-1].tolist() == [TIMEOUT + 2] * NUM_ENVS


def test_pool_refresh_and_cursor(flow_env):
    vec = VecEnv(
        flow_env, NUM_ENVS, ResetConfig(mode="pool", pool_size=12, refresh_every=3, refresh_size=2)
    )
    _, state = jax.jit(vec.reset)(jax.random.PRNGKey(1))
    before = np.asarray(state.pool_state.env_state.map)
    assert int(state.pool_cursor) == NUM_ENVS % 12
    step = jax.jit(vec.step)
    for i in range(TIMEOUT):
        _obs, state, _, done, _ = step(
            jax.random.PRNGKey(10 + i), state, jnp.zeros(NUM_ENVS, jnp.int32)
        )
    assert np.asarray(done).all()
    # all 8 envs finished at once: the cursor moved by 8 over a pool of 12
    assert int(state.pool_cursor) == (NUM_ENVS + NUM_ENVS) % 12
    # steps 3 (step_count % 3 == 0) refreshed 2 worlds: entries 0 and 1
    after = np.asarray(state.pool_state.env_state.map)
    changed = [not np.array_equal(before[i], after[i]) for i in range(12)]
    assert changed[:2] == [True, True] and not any(changed[2:])
    assert int(state.refresh_cursor) == 2
    # the reset envs got pool worlds: each env's map equals some pool entry
    env_maps = np.asarray(state.env_state.env_state.map)
    for m in env_maps:
        assert any(np.array_equal(m, p) for p in after) or any(np.array_equal(m, p) for p in before)


def test_bad_reset_config():
    with pytest.raises(ValueError, match="reset mode 'sometimes' unknown"):
        ResetConfig(mode="sometimes")
