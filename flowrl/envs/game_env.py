"""A plain craftax game behind the single-env reset/step API of the flow env (no plan)."""

from __future__ import annotations

from typing import Any

import jax

from flowrl.envs.games import GameSpec


class GameEnv:
    """The released no-auto-reset craftax env with default params bound."""

    def __init__(self, game: GameSpec, max_episode_steps: int | None = None) -> None:
        self.game = game
        self.env = self.game.make_env()
        params = self.env.default_params
        if max_episode_steps is not None:
            params = params.replace(max_timesteps=int(max_episode_steps))
        self.params = params

    @property
    def num_actions(self) -> int:
        return self.game.num_actions

    def reset(self, key: jax.Array) -> tuple[jax.Array, Any]:
        return self.env.reset_env(key, self.params)

    def step(
        self, key: jax.Array, state: Any, action: jax.Array
    ) -> tuple[jax.Array, Any, jax.Array, jax.Array, dict[str, Any]]:
        return self.env.step_env(key, state, action, self.params)
