"""The flow environment: a craftax game plus a plan of skills the agent works through.

The state carries the plan step the agent is on (``plan_step``, 0..num_tasks), the
features of the previous state, and whether its episode started from a fresh world
(``fresh``; frontier starts, :mod:`flowrl.envs.frontier`, resume a saved state). Each step
computes the features once, evaluates the reward and completion of the current plan step
only, advances the step on completion, and ends the episode on death, timeout, or when the
whole plan is complete.

*Upkeep* (:mod:`flowrl.skills.upkeep`): when a need (food, drink, energy) of a plan's
upkeep skill falls to its ``below`` level, that skill takes over (``upkeep`` names it; its
expert acts and its reward is paid) until the need is back at ``until``, then the
interrupted plan step goes on. Each switch of expert (a step completed, an upkeep begun or
ended) is reported as ``info["task_switch"]``, where bootstrapping stops.
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

    @property
    def upkeep(self) -> Sequence[Any]: ...  # entries with stat, below, until, reward, expert


class FlowState(struct.PyTreeNode):
    """State of one flow environment."""

    env_state: Any
    features: SymbolicFeatures
    plan_step: jax.Array  # int32 (), index of the current plan step
    episode_return: jax.Array  # float32 (), shaped return of the running episode
    episode_length: jax.Array  # int32 ()
    fresh: jax.Array  # bool (), the episode started from a fresh world (not a frontier start)
    upkeep: jax.Array  # int32 (), the running upkeep entry, -1 for none


class FlowEnv:
    """A craftax env whose reward and termination follow a plan of skills.

    Args:
        game: a registered game, or its name (see :mod:`flowrl.envs.games`).
        plan: the loaded plan module (:func:`flowrl.skills.plan_module.load_plan`).
        closest_k: how many nearest blocks of each type the features keep.
        completion_bonus: reward added on the step a plan step completes.
        max_episode_steps: episode timeout (None keeps the game's own limit).
        game_reward_weight: weight of the game's own reward (each newly unlocked
            achievement, 0.1 x the change of health) added to the skill reward.
        game_reward_experts: the experts whose tasks get that reward (None: every task).
        death_penalty: subtracted from the acting task's reward on the step the player
            dies (health at 0, lava included), so every skill has a reason to stay alive.
        upkeep: run the plan's upkeep skills when a need falls low (False: never).
    """

    def __init__(
        self,
        game: GameSpec | str,
        plan: Plan,
        closest_k: int = DEFAULT_CLOSEST_K,
        completion_bonus: float = 1.0,
        max_episode_steps: int | None = None,
        game_reward_weight: float = 0.0,
        upkeep: bool = True,
        game_reward_experts: Sequence[int] | None = None,
        death_penalty: float = 0.0,
    ) -> None:
        game_env = GameEnv(as_game(game), max_episode_steps)
        self.game_reward_weight = float(game_reward_weight)
        self.game = game_env.game
        self.plan = plan
        self.closest_k = closest_k
        self.completion_bonus = float(completion_bonus)
        self.death_penalty = float(death_penalty)
        self.env = game_env.env
        self.default_params = game_env.params
        self.upkeep = tuple(getattr(plan, "upkeep", ())) if upkeep else ()
        # expert of each task (steps, then upkeep); acting, a completed plan keeps the last
        # step's, so the acting table has that one again between the two
        task_experts = (*plan.experts, *(u.expert for u in self.upkeep))
        n = len(plan.experts)
        self.experts = jnp.asarray(
            (*task_experts[:n], plan.experts[-1], *task_experts[n:]), jnp.int32
        )
        paid = set(task_experts if game_reward_experts is None else game_reward_experts)
        # the experts paid the game's reward (when weighted), and per task 1 where it is paid
        self.game_reward_experts = tuple(sorted(paid & set(task_experts)))
        self.game_reward_mask = jnp.asarray([e in paid for e in task_experts], jnp.float32)

    # --- API ------------------------------------------------------------------
    @property
    def num_actions(self) -> int:
        return self.game.num_actions

    @property
    def num_tasks(self) -> int:
        return self.plan.num_tasks

    def observation_size(self) -> int:
        return int(self.env.observation_space(self.default_params).shape[0])

    @property
    def task_names(self) -> tuple[str, ...]:
        """What each task is: the plan's steps, then its upkeep skills (when on)."""
        return (*self.plan.names, *(u.name for u in self.upkeep))

    def expert_index(self, plan_step: jax.Array) -> jax.Array:
        """Expert (network) index of plan step ``plan_step`` (the last one once complete)."""
        return self.experts[jnp.clip(plan_step, 0, self.num_tasks)]

    def expert_of(self, state: FlowState) -> jax.Array:
        """Expert acting in ``state`` (batched or not): the running upkeep skill's, else the
        plan step's."""
        task = jnp.where(
            state.upkeep >= 0,
            self.num_tasks + 1 + state.upkeep,
            jnp.clip(state.plan_step, 0, self.num_tasks),
        )
        return self.experts[task]

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
            upkeep=jnp.full((), -1, jnp.int32),
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
        in_upkeep = state.upkeep >= 0
        # past a completed plan (evaluation plays on) the last step, not the first upkeep
        last = jnp.minimum(state.plan_step, self.num_tasks - 1)
        task = jnp.where(in_upkeep, self.num_tasks + state.upkeep, last)
        finished, task_reward = self._evaluate_task(task, args)
        task_done = finished & ~in_upkeep  # the plan step completed
        upkeep_done = finished & in_upkeep
        # capped: a caller that plays on past completion (evaluation) stays at the last step
        next_step = jnp.minimum(state.plan_step + task_done.astype(jnp.int32), self.num_tasks)
        plan_complete = next_step >= self.num_tasks
        need = self._need(features)
        begin = ~in_upkeep & ~plan_complete & (need >= 0)
        upkeep = jnp.where(in_upkeep, jnp.where(upkeep_done, -1, state.upkeep), need)
        upkeep = jnp.where(in_upkeep | begin, upkeep, -1).astype(jnp.int32)
        reward = task_reward + self.completion_bonus * finished.astype(jnp.float32)
        if self.game_reward_weight:
            weight = self.game_reward_weight * self.game_reward_mask[task]
            reward = reward + weight * jnp.asarray(game_reward, jnp.float32)
        # the player's death (not the time limit); lava sets health to 0 too
        died = jnp.asarray(game_over, bool) & (features.player_intrinsics[0] <= 0)
        if self.death_penalty:
            reward = reward - self.death_penalty * died.astype(jnp.float32)
        done = jnp.logical_or(game_over, plan_complete)
        episode_return = state.episode_return + reward
        episode_length = state.episode_length + 1
        info = {
            "plan_step": next_step,
            "prev_plan_step": state.plan_step,
            "fresh": state.fresh,
            "task_done": task_done,
            # the acting expert changes after this step: bootstrapping stops here
            "task_switch": task_done | upkeep_done | begin,
            "task": task,  # the task that paid this step's reward (steps, then upkeep)
            "upkeep": upkeep,
            "plan_complete": plan_complete,
            "game_reward": jnp.asarray(game_reward, jnp.float32),
            "game_over": jnp.asarray(game_over, bool),
            "died": died,
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
            upkeep=upkeep,
        )
        return obs, new_state, reward, done, info

    # --- internals ---------------------------------------------------------------
    def _evaluate_task(self, task: jax.Array, args: dict[str, Any]) -> tuple[jax.Array, jax.Array]:
        """Completion and reward of task ``task`` only (one switch branch per task): plan
        step ``task``, or upkeep entry ``task - num_tasks`` (done when its need is back at
        ``until``)."""

        def step(k: int):
            def run(a: dict[str, Any]) -> tuple[jax.Array, jax.Array]:
                done = jnp.asarray(call_with_features(self.plan.is_done[k], a)).astype(bool)
                reward = jnp.asarray(call_with_features(self.plan.reward[k], a), jnp.float32)
                return done.reshape(()), reward.reshape(())

            return run

        def upkeep(entry: Any):
            def run(a: dict[str, Any]) -> tuple[jax.Array, jax.Array]:
                done = a["player_intrinsics"][entry.stat] >= entry.until
                reward = jnp.asarray(call_with_features(entry.reward, a), jnp.float32)
                return done.reshape(()), reward.reshape(())

            return run

        branches = [step(k) for k in range(self.num_tasks)] + [upkeep(u) for u in self.upkeep]
        index = jnp.clip(task, 0, len(branches) - 1)
        return jax.lax.switch(index, branches, args)

    def _need(self, features: SymbolicFeatures) -> jax.Array:
        """The first upkeep entry whose need is at or below its ``below`` level, else -1."""
        need = jnp.full((), -1, jnp.int32)
        for j in reversed(range(len(self.upkeep))):
            low = features.player_intrinsics[self.upkeep[j].stat] <= self.upkeep[j].below
            need = jnp.where(low, j, need)
        return need
