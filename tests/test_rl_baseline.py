"""The baseline's one-step plan pays exactly the game's own reward and never completes."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from flowrl.envs.flow_env import FlowEnv
from flowrl.envs.games import get_game
from flowrl.rl.baseline import achievement_weights, baseline_config, game_reward_plan
from flowrl.rl.config import load_config

CLASSIC = get_game("Craftax-Classic-Symbolic-v1")


def test_game_reward_plan_pays_the_game_reward() -> None:
    env = FlowEnv(CLASSIC, game_reward_plan(CLASSIC), completion_bonus=0.0)
    n, steps = 8, 32

    @jax.jit
    def rollout(key: jax.Array) -> dict[str, jax.Array]:
        _, state = jax.vmap(env.reset)(jax.random.split(key, n))

        def body(state, key):
            act_key, step_key = jax.random.split(key)
            actions = jax.random.randint(act_key, (n,), 0, env.num_actions)
            _, state, reward, done, info = jax.vmap(env.step)(
                jax.random.split(step_key, n), state, actions
            )
            keep = ("game_reward", "game_over", "task_done")
            return state, {"reward": reward, "done": done, **{k: info[k] for k in keep}}

        return jax.lax.scan(body, state, jax.random.split(key, steps))[1]

    out = jax.device_get(rollout(jax.random.PRNGKey(0)))
    assert not out["task_done"].any() and (out["done"] == out["game_over"]).all()
    assert np.abs(out["game_reward"]).sum() > 0  # the random steps did earn (or lose) reward
    np.testing.assert_allclose(out["reward"], out["game_reward"], atol=1e-5)


def test_baseline_settings() -> None:
    assert achievement_weights(CLASSIC) == [1.0] * 22
    weights = achievement_weights(get_game("Craftax-Symbolic-v1"))
    assert len(weights) > 22 and max(weights) > 1.0  # full Craftax weighs deeper tiers more
    config = baseline_config(load_config("cpu", None, width=64), frames=4096, seed=3)
    assert (config.total_timesteps, config.seed, config.width) == (4096, 3, 64)
    assert config.early_stop_below == 0.0 and config.early_stop_patience == 0


def test_trainer_refuses_an_unknown_keep() -> None:
    from flowrl.rl.trainer import train

    with pytest.raises(ValueError, match="choose 'best' or 'last'"):
        train(game_reward_plan(CLASSIC), CLASSIC, "/nonexistent", keep="first")
