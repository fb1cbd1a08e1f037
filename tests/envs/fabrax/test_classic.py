"""Fabrax keeps Craftax-Classic: same worlds (plus ores), same trajectories under Classic
actions as released Classic from the same state and keys, and jit+vmap over 64 envs."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from craftax.craftax_env import make_craftax_env_from_name

from flowrl.envs.fabrax.constants import CLASSIC_PROXY, ORE_CHANCES, Action, BlockType
from flowrl.envs.fabrax.env import make_env
from flowrl.envs.fabrax.state import CLASSIC_INVENTORY_FIELDS, from_classic, strongly_typed

STEPS = 300
COMPARED = (
    "map",
    "mob_map",
    "player_position",
    "player_direction",
    "player_health",
    "player_food",
    "player_drink",
    "player_energy",
    "is_sleeping",
    "player_hunger",
    "player_fatigue",
    "growing_plants_age",
    "timestep",
    "light_level",
)


@pytest.fixture(scope="module")
def envs():
    classic = make_craftax_env_from_name("Craftax-Classic-Symbolic-v1", auto_reset=False)
    return classic, make_env(), classic.default_params


def _rollout(env, params, state, key, actions):
    def body(state, xs):
        step_key, action = xs
        _, state, reward, done, _ = env.step_env(step_key, state, action, params)
        return state, (state, reward, done)

    keys = jax.random.split(key, actions.shape[0])
    return jax.lax.scan(body, state, (keys, actions))[1]


def test_reset_is_classics_world_plus_ores_and_clay(envs):
    classic, fabrax, params = envs
    for seed in range(3):
        key = jax.random.PRNGKey(seed)
        _, cs = classic.reset_env(key, params)
        _, fs = fabrax.reset_env(key, params)
        cmap, fmap = np.asarray(cs.map), np.asarray(fs.map)
        changed = cmap != fmap
        sources = {b.value: s.value for b, (s, _) in ORE_CHANCES.items()}
        assert changed.any()
        for block in np.unique(fmap[changed]):
            assert (cmap[changed & (fmap == block)] == sources[int(block)]).all()
        assert (fmap[~changed] < 17).all()
        assert (np.asarray(fs.player_position) == np.asarray(cs.player_position)).all()
        assert fs.achievements.shape == (54,) and not bool(fs.achievements.any())


def test_worlds_hold_the_new_resources():
    fabrax = make_env()
    keys = jax.random.split(jax.random.PRNGKey(0), 8)
    maps = np.asarray(
        jax.jit(jax.vmap(fabrax.reset_env, (0, None)))(keys, fabrax.default_params)[1].map
    )
    # every mining achievement is reachable in every world (64 seeds: at least 4 of each)
    for block in (BlockType.COPPER, BlockType.TIN, BlockType.LIMESTONE, BlockType.CLAY):
        assert ((maps == block.value).sum(axis=(1, 2)) >= 3).all(), block
    assert ((maps == BlockType.SAND.value).sum(axis=(1, 2)) >= 3).all()


def test_proxy_keeps_classic_blocks():
    classic_ids = np.arange(17)
    assert (CLASSIC_PROXY[classic_ids] == classic_ids).all()
    assert (CLASSIC_PROXY[17:] < 17).all()


@pytest.mark.slow
def test_classic_actions_follow_released_classic(envs):
    classic, fabrax, params = envs
    for seed in (0, 1):
        key = jax.random.PRNGKey(seed)
        _, cs = jax.jit(classic.reset_env)(key, params)
        cs = strongly_typed(cs)
        fs = strongly_typed(from_classic(cs))
        actions = jax.random.randint(jax.random.PRNGKey(100 + seed), (STEPS,), 0, 17)
        run_key = jax.random.PRNGKey(200 + seed)
        c_states, c_rewards, c_done = jax.jit(_rollout, static_argnums=0)(
            classic, params, cs, run_key, actions
        )
        f_states, f_rewards, f_done = jax.jit(_rollout, static_argnums=0)(
            fabrax, params, fs, run_key, actions
        )
        for name in COMPARED:
            np.testing.assert_array_equal(getattr(c_states, name), getattr(f_states, name), name)
        for name in CLASSIC_INVENTORY_FIELDS:
            np.testing.assert_array_equal(
                getattr(c_states.inventory, name), getattr(f_states.inventory, name), name
            )
        for mobs in ("zombies", "cows", "skeletons", "arrows"):
            for field in ("position", "health", "mask"):
                np.testing.assert_array_equal(
                    getattr(getattr(c_states, mobs), field),
                    getattr(getattr(f_states, mobs), field),
                    f"{mobs}.{field}",
                )
        np.testing.assert_array_equal(c_states.achievements, f_states.achievements[:, :22])
        assert not bool(f_states.achievements[:, 22:].any())
        np.testing.assert_allclose(c_rewards, f_rewards, atol=1e-6)
        np.testing.assert_array_equal(c_done, f_done)
        assert int(np.asarray(c_states.achievements[-1]).sum()) >= 1  # the walk did something


@pytest.mark.slow
def test_jit_vmap_64_envs_all_actions():
    env = make_env()
    params = env.default_params
    n = 64

    @jax.jit
    def run(key):
        keys = jax.random.split(key, n)
        obs, state = jax.vmap(env.reset_env, (0, None))(keys, params)

        def body(carry, key):
            state = carry
            act_key, step_key = jax.random.split(key)
            actions = jax.random.randint(act_key, (n,), 0, len(Action))
            obs, state, reward, done, _ = jax.vmap(env.step_env, (0, 0, 0, None))(
                jax.random.split(step_key, n), state, actions, params
            )
            return state, (obs, reward, done)

        state, (obs_seq, rewards, dones) = jax.lax.scan(body, state, jax.random.split(key, 16))
        return obs, state, obs_seq, rewards, dones

    obs, state, obs_seq, rewards, dones = run(jax.random.PRNGKey(0))
    size = env.observation_space(params).shape[0]
    assert obs.shape == (n, size) and obs_seq.shape == (16, n, size)
    assert bool(jnp.isfinite(obs_seq).all()) and float(obs_seq.min()) >= 0.0
    assert float(obs_seq.max()) <= 1.0
    assert state.achievements.shape == (n, 54) and state.map.shape == (n, 64, 64)
    assert rewards.shape == (16, n) and dones.dtype == jnp.bool_
    assert len({tuple(np.asarray(m).ravel()[:64]) for m in state.map[:8]}) > 1  # distinct worlds
