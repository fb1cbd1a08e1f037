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
    from tests.conftest import CLASSIC, CLASSIC_GAME, skill_source

    plan = single_skill_plan(skill_source("collect_wood.py"), CLASSIC_GAME, "Collect Wood", 9)
    return FlowEnv(CLASSIC, plan, max_episode_steps=TIMEOUT)


def run(vec: VecEnv, steps: int):
    @jax.jit
    def go(key):
        _obs, start = vec.reset(key)

        def body(carry, key):
            state = carry
            _, state, _reward, done, _info = vec.step(key, state, jnp.zeros(NUM_ENVS, jnp.int32))
            world = state.env_state.env_state.map
            return state, (done, state.env_state.episode_length, state.env_state.plan_step, world)

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
    _, state, (done, length, step, _) = run(vec, 2 * TIMEOUT + 1)
    check_restarts(done, length, step, state)


def episode_worlds(start, done, worlds) -> list[bytes]:
    """The map of every episode start: the first reset's, then each restart's."""
    done, worlds = np.asarray(done), np.asarray(worlds)
    out = [w.tobytes() for w in np.asarray(start.env_state.env_state.map)]
    for t, e in zip(*np.nonzero(done), strict=True):
        out.append(worlds[t, e].tobytes())
    return out


def test_pool_hands_out_each_world_once(flow_env):
    """One compiled run checks restarts, the hand-out cursor and that refreshes keep up:
    every episode start (8 envs x 3 starts) gets a world no earlier episode played."""
    config = ResetConfig(mode="pool", pool_size=12, refresh_every=1, refresh_size=4)
    vec = VecEnv(flow_env, NUM_ENVS, config)
    start, state, (done, length, step, worlds) = run(vec, 2 * TIMEOUT + 1)
    assert int(start.pool_cursor) == NUM_ENVS % 12
    assert int(start.pending) == NUM_ENVS  # the first NUM_ENVS worlds went to the envs
    check_restarts(done, length, step, state)
    # 2 rounds of 8 finished envs moved the cursor by 16 over a pool of 12
    assert int(state.pool_cursor) == (NUM_ENVS + 2 * NUM_ENVS) % 12
    # 24 worlds handed out, all 24 regenerated, 4 at a time, after the first 12
    assert int(state.pending) == 0 and int(state.refresh_cursor) == 24 % 12
    assert int(state.generated) == 12 + 24
    starts = episode_worlds(start, done, worlds)
    assert len(starts) == 3 * NUM_ENVS
    assert len(set(starts)) == len(starts)


def test_slow_refresh_reuses_worlds(flow_env):
    """Refreshes that cannot keep up (one world every 8 steps) hand the same worlds out
    again: the property above does not hold by accident."""
    config = ResetConfig(mode="pool", pool_size=12, refresh_every=8, refresh_size=1)
    vec = VecEnv(flow_env, NUM_ENVS, config)
    start, state, (done, _, _, worlds) = run(vec, 2 * TIMEOUT + 1)
    starts = episode_worlds(start, done, worlds)
    assert len(set(starts)) < len(starts)
    assert int(state.generated) == 12 + 1  # only step 8 refreshed


def test_bad_reset_config():
    with pytest.raises(ValueError, match="reset mode 'sometimes' unknown"):
        ResetConfig(mode="sometimes")
