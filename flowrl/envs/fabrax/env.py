"""``Fabrax-Symbolic-v1``: the no-auto-reset env with the craftax reset/step API."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from craftax.craftax_classic.envs.craftax_state import EnvParams
from craftax.craftax_classic.envs.craftax_symbolic_env import (
    CraftaxClassicSymbolicEnvNoAutoReset,
)
from craftax.craftax_classic.game_logic import is_game_over
from craftax.environment_base import spaces
from jax import lax

from flowrl.envs.fabrax.constants import Achievement, Action
from flowrl.envs.fabrax.logic import fabrax_step
from flowrl.envs.fabrax.renderer import observation_size, render_symbolic
from flowrl.envs.fabrax.state import FabraxState, strongly_typed
from flowrl.envs.fabrax.world_gen import generate_world

ENV_NAME = "Fabrax-Symbolic-v1"


def compute_score(state: FabraxState, done: jax.Array) -> dict[str, jax.Array]:
    """Per-achievement success (x100 on the final step) and the Crafter score."""
    achievements = state.achievements * done * 100.0
    info = {f"Achievements/{a.name.lower()}": achievements[a.value] for a in Achievement}
    info["score"] = jnp.exp(jnp.mean(jnp.log(1 + achievements))) - 1.0
    return info


class FabraxSymbolicEnvNoAutoReset(CraftaxClassicSymbolicEnvNoAutoReset):
    """Classic's env class with Fabrax's world, step, observation and action count.

    Params are Classic's ``EnvParams`` (timeouts, day length, mob chances); Fabrax's own
    constants are in :mod:`flowrl.envs.fabrax.constants`.
    """

    @property
    def default_params(self) -> EnvParams:
        return EnvParams()

    def step_env(
        self, rng: jax.Array, state: FabraxState, action: int, params: EnvParams
    ) -> tuple[jax.Array, FabraxState, jax.Array, jax.Array, dict[str, Any]]:
        state, reward = fabrax_step(rng, state, action, params, self.static_env_params)  # type: ignore[arg-type]  # craftax-style step takes a traced action
        state = strongly_typed(state)
        done = self.is_terminal(state, params)
        info = compute_score(state, done)
        info["discount"] = self.discount(state, params)
        return lax.stop_gradient(self.get_obs(state)), lax.stop_gradient(state), reward, done, info

    def reset_env(self, rng: jax.Array, params: EnvParams) -> tuple[jax.Array, FabraxState]:
        state = strongly_typed(generate_world(rng, params, self.static_env_params))
        return self.get_obs(state), state

    def get_obs(self, state: FabraxState) -> jax.Array:
        return render_symbolic(state)

    def is_terminal(self, state: FabraxState, params: EnvParams) -> jax.Array:
        return is_game_over(state, params)

    @property
    def name(self) -> str:
        return ENV_NAME

    @property
    def num_actions(self) -> int:
        return len(Action)

    def action_space(self, params: EnvParams | None = None) -> spaces.Discrete:
        return spaces.Discrete(len(Action))

    def observation_space(self, params: EnvParams) -> spaces.Box:
        return spaces.Box(0.0, 1.0, (observation_size(),), dtype=jnp.float32)


def make_env() -> FabraxSymbolicEnvNoAutoReset:
    return FabraxSymbolicEnvNoAutoReset()
