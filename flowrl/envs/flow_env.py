"""The flow environment: a craftax game plus a plan of skills the agent works through.

The state carries the plan step the agent is on (``plan_step``, 0..num_tasks), the
features of the previous state, and whether its episode started from a fresh world
(``fresh``; frontier starts, :mod:`flowrl.envs.frontier`, resume a saved state). Each step computes the features once, evaluates the
reward and completion of the current plan step only, advances the step on completion,
and ends the episode on death, timeout, or when the whole plan is complete.
Single-environment API (reset/step); batch it with ``jax.vmap`` or the wrappers in
:mod:`flowrl.envs.resets`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import jax
import jax.numpy as jnp
from flax import struct

from flowrl.envs.features import (
    DEFAULT_CLOSEST_K,
    SymbolicFeatures,
    call_with_features,
    compute_features,
    skill_arguments,
)
from flowrl.envs.game_env import GameEnv
from flowrl.envs.games import GameSpec, as_game


class Plan(Protocol):
    """What the flow env needs of a plan: per-step skill functions and expert indices.

    :class:`flowrl.skills.plan_module.Plan` (loaded through the skill-code checks) is the
    one implementation; the env layer only names the shape it runs.
    """

    @property
    def names(self) -> Sequence[str]: ...

    @property
    def is_done(self) -> Sequence[Callable[..., Any]]: ...

    @property
    def reward(self) -> Sequence[Callable[..., Any]]: ...

    @property
    def experts(self) -> Sequence[int]: ...

    @property
    def counts(self) -> Sequence[int]: ...

    @property
    def num_tasks(self) -> int: ...

    @property
    def num_experts(self) -> int: ...


class FlowState(struct.PyTreeNode):
    """State of one flow environment."""

    env_state: Any
    features: SymbolicFeatures
    plan_step: jax.Array  # int32 (), index of the current plan step
    episode_return: jax.Array  # float32 (), shaped return of the running episode
    episode_length: jax.Array  # int32 ()
    fresh: jax.Array  # bool (), the episode started from a fresh world (not a frontier start)


class FlowEnv:
    """A craftax env whose reward and termination follow a plan of skills.

    Args:
        game: a registered game, or its name (see :mod:`flowrl.envs.games`).
        plan: the loaded plan module (:func:`flowrl.skills.plan_module.load_plan`).
        closest_k: how many nearest blocks of each type the features keep.
        completion_bonus: reward added on the step a plan step completes.
        max_episode_steps: episode timeout (None keeps the game's own limit).
        game_reward_weight: weight of the game's own reward (each newly unlocked
            achievement, 0.1 x the change of health) added to every step's skill reward.
    """

    def __init__(
        self,
        game: GameSpec | str,
        plan: Plan,
        closest_k: int = DEFAULT_CLOSEST_K,
        completion_bonus: float = 1.0,
        max_episode_steps: int | None = None,
        game_reward_weight: float = 0.0,
    ) -> None:
        game_env = GameEnv(as_game(game), max_episode_steps)
        self.game_reward_weight = float(game_reward_weight)
        self.game = game_env.game
        self.plan = plan
        self.closest_k = closest_k
        self.completion_bonus = float(completion_bonus)
        self.env = game_env.env
        self.default_params = game_env.params
        self.experts = jnp.asarray((*plan.experts, plan.experts[-1]), jnp.int32)

    # --- API ------------------------------------------------------------------
    @property
    def num_actions(self) -> int:
        return self.game.num_actions

    @property
    def num_tasks(self) -> int:
        return self.plan.num_tasks

    def observation_size(self) -> int:
        return int(self.env.observation_space(self.default_params).shape[0])

    def expert_index(self, plan_step: jax.Array) -> jax.Array:
        """Expert (network) index of plan step ``plan_step`` (the last one once complete)."""
        return self.experts[jnp.clip(plan_step, 0, self.num_tasks)]

    def features(self, env_state: Any) -> SymbolicFeatures:
        return compute_features(self.game, env_state, self.closest_k)

    def reset(self, key: jax.Array, params: Any = None) -> tuple[jax.Array, FlowState]:
        params = self.default_params if params is None else params
        obs, env_state = self.env.reset_env(key, params)
        return obs, self.init_state(env_state)

    def init_state(self, env_state: Any) -> FlowState:
        """Wrap a fresh game state (e.g. from a reset pool) at plan step 0."""
        # craftax resets hold some Python scalars; make every leaf a strongly typed array
        # so jitted steps see one pytree signature from reset onwards.
        env_state = jax.tree.map(lambda x: jnp.asarray(x, jnp.asarray(x).dtype), env_state)
        return FlowState(
            env_state=env_state,
            features=self.features(env_state),
            plan_step=jnp.zeros((), jnp.int32),
            episode_return=jnp.zeros((), jnp.float32),
            episode_length=jnp.zeros((), jnp.int32),
            fresh=jnp.ones((), bool),
        )

    def step(
        self, key: jax.Array, state: FlowState, action: jax.Array, params: Any = None
    ) -> tuple[jax.Array, FlowState, jax.Array, jax.Array, dict[str, Any]]:
        params = self.default_params if params is None else params
        obs, env_state, game_reward, game_over, _ = self.env.step_env(
            key, state.env_state, action, params
        )
        features = self.features(env_state)
        args = skill_arguments(state.features, features)
        task_done, task_reward = self._evaluate_step(state.plan_step, args)
        # capped: a caller that plays on past completion (evaluation) stays at the last step
        next_step = jnp.minimum(state.plan_step + task_done.astype(jnp.int32), self.num_tasks)
        plan_complete = next_step >= self.num_tasks
        reward = task_reward + self.completion_bonus * task_done.astype(jnp.float32)
        if self.game_reward_weight:
            reward = reward + self.game_reward_weight * jnp.asarray(game_reward, jnp.float32)
        done = jnp.logical_or(game_over, plan_complete)
        episode_return = state.episode_return + reward
        episode_length = state.episode_length + 1
        info = {
            "plan_step": next_step,
            "prev_plan_step": state.plan_step,
            "fresh": state.fresh,
            "task_done": task_done,
            "plan_complete": plan_complete,
            "game_reward": jnp.asarray(game_reward, jnp.float32),
            "game_over": jnp.asarray(game_over, bool),
            # the episode ended by the player's death (not the time limit)
            "died": jnp.asarray(game_over, bool) & (features.player_intrinsics[0] <= 0),
            # food, drink or energy is empty: health drains (about 1 per 16 steps)
            "starving": (features.player_intrinsics[1:4] <= 0).any(),
            "achievements": features.achievements,
            "episode_return": episode_return,
            "episode_length": episode_length,
        }
        new_state = FlowState(
            env_state=env_state,
            features=features,
            plan_step=next_step,
            episode_return=episode_return,
            episode_length=episode_length,
            fresh=state.fresh,
        )
        return obs, new_state, reward, done, info

    # --- internals ---------------------------------------------------------------
    def _evaluate_step(self, step: jax.Array, args: dict[str, Any]) -> tuple[jax.Array, jax.Array]:
        """Completion and reward of plan step ``step`` only (one switch branch per step)."""

        def branch(k: int):
            def run(a: dict[str, Any]) -> tuple[jax.Array, jax.Array]:
                done = jnp.asarray(call_with_features(self.plan.is_done[k], a)).astype(bool)
                reward = jnp.asarray(call_with_features(self.plan.reward[k], a), jnp.float32)
                return done.reshape(()), reward.reshape(())

            return run

        branches = [branch(k) for k in range(self.num_tasks)]
        index = jnp.clip(step, 0, self.num_tasks - 1)
        return jax.lax.switch(index, branches, args)
