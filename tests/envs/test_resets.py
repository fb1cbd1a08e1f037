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
        _obs, start = vec.reset(key)

        def body(carry, key):
            state = carry
            _, state, _reward, done, _info = vec.step(key, state, jnp.zeros(NUM_ENVS, jnp.int32))
            return state, (done, state.env_state.episode_length, state.env_state.plan_step)

        return start, *jax.lax.scan(body, start, jax.random.split(key, steps))

    return go(jax.random.PRNGKey(0))


def check_restarts(done, length, step, state) -> None:
    done, length = np.asarray(done), np.asarray(length)
    assert done[TIMEOUT - 1].all() and done[2 * TIMEOUT - 1].all()  # timeouts end episodes
    assert (length[TIMEOUT - 1] == 0).all()  # ... and the returned state is a fresh episode
    assert (length[TIMEOUT] == 1).all()
    assert int(np.asarray(state.env_state.env_state.timestep).max()) == 1
    assert (np.asarray(step) == 0).all()


def test_optimistic_restarts(flow_env):
    vec = VecEnv(flow_env, NUM_ENVS, ResetConfig(mode="optimistic", reset_ratio=4))
    _, state, (done, length, step) = run(vec, 2 * TIMEOUT + 1)
    check_restarts(done, length, step, state)


def test_pool_restarts_refreshes_and_cycles(flow_env):
    """One compiled run checks restarts, the hand-out cursor and gradual refresh."""
    config = ResetConfig(mode="pool", pool_size=12, refresh_every=3, refresh_size=2)
    vec = VecEnv(flow_env, NUM_ENVS, config)
    start, state, (done, length, step) = run(vec, 2 * TIMEOUT + 1)
    before = np.asarray(start.pool_state.env_state.map)
    assert int(start.pool_cursor) == NUM_ENVS % 12
    check_restarts(done, length, step, state)
    # 2 rounds of 8 finished envs moved the cursor by 16 over a pool of 12
    assert int(state.pool_cursor) == (NUM_ENVS + 2 * NUM_ENVS) % 12
    # steps 3, 6 and 9 (step_count % 3 == 0) each refreshed 2 worlds: entries 0..5
    after = np.asarray(state.pool_state.env_state.map)
    changed = [not np.array_equal(before[i], after[i]) for i in range(12)]
    assert changed == [True] * 6 + [False] * 6
    assert int(state.refresh_cursor) == 6
    # every env restarted from a pool world (original or refreshed)
    pool_worlds = list(before) + list(after)
    for world in np.asarray(state.env_state.env_state.map):
        assert any(np.array_equal(world, p) for p in pool_worlds)


def test_bad_reset_config():
    with pytest.raises(ValueError, match="reset mode 'sometimes' unknown"):
        ResetConfig(mode="sometimes")
