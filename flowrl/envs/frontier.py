"""Frontier starts: restart a share of finished episodes where the plan reached its new step.

A deep plan's episode replays every learned step before it practises the new one. A
:class:`FrontierVecEnv` wraps a batched flow env (:class:`~flowrl.envs.resets.VecEnv`)
and keeps, per batch, a ring buffer of saved states: each step, one env whose plan has
just advanced to the *target* step (and is still alive) is copied into the buffer, so the
buffer refreshes itself as the policy keeps getting there. The target starts at
``frontier_step`` and is a field of the state, so the trainer can move it between chunks
to the step that fails most (:func:`flowrl.rl.trainer.frontier_target`); states saved for
an earlier target stay valid restarts until they are overwritten. When an episode ends,
the inner env resets it to a fresh world as usual; with probability ``prob`` (a field of
the state, set by the trainer between chunks) it instead restarts from a buffered state,
marked ``fresh=False``. With nothing buffered yet every reset stays fresh.

Episodes that start at the frontier are practice only: success estimates count fresh
episodes (``info["fresh"]``), so acceptance stays unbiased.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from flax import struct

from flowrl.envs.resets import VecEnv, VecState, select_rows, take_rows


class FrontierVecState(struct.PyTreeNode):
    """The inner batch's state plus the buffer of frontier states."""

    inner: VecState
    buffer_obs: jax.Array  # (size, obs...)
    buffer_state: Any  # flow states, leaves (size, ...)
    saved: jax.Array  # int32 (), states written so far
    prob: jax.Array  # float32 (), share of resets that start at the frontier
    target: jax.Array  # int32 (), the plan step whose arrivals are saved

    @property
    def env_state(self) -> Any:
        """The batch's flow states (as :attr:`VecState.env_state`)."""
        return self.inner.env_state


class FrontierVecEnv:
    """``vec`` with a share of resets starting where the plan entered ``frontier_step``."""

    def __init__(self, vec: VecEnv, frontier_step: int, size: int = 0, prob: float = 0.5):
        if frontier_step < 1:
            raise ValueError("frontier_step must be >= 1 (step 0 is where fresh episodes start)")
        self.vec = vec
        self.env = vec.env
        self.num_envs = vec.num_envs
        self.frontier_step = int(frontier_step)
        self.size = int(size or vec.num_envs)
        self.initial_prob = float(prob)

    def reset(self, key: jax.Array) -> tuple[jax.Array, FrontierVecState]:
        """Fresh worlds everywhere and an empty buffer (shaped like the batch's states)."""
        obs, inner = self.vec.reset(key)
        rows = jnp.zeros((self.size,), jnp.int32)  # placeholders until states are saved
        return obs, FrontierVecState(
            inner=inner,
            buffer_obs=take_rows(obs, rows),
            buffer_state=take_rows(inner.env_state, rows),
            saved=jnp.zeros((), jnp.int32),
            prob=jnp.asarray(self.initial_prob, jnp.float32),
            target=jnp.asarray(self.frontier_step, jnp.int32),
        )

    def step(
        self, key: jax.Array, state: FrontierVecState, actions: jax.Array
    ) -> tuple[jax.Array, FrontierVecState, jax.Array, jax.Array, dict[str, Any]]:
        """Step the batch; save one new frontier state; restart some finished envs there."""
        step_key, save_key, coin_key, pick_key = jax.random.split(key, 4)
        obs, inner, reward, done, info = self.vec.step(step_key, state.inner, actions)
        state = self._save(save_key, state.replace(inner=inner), obs, done, info)
        obs, state = self._restart(coin_key, pick_key, state, obs, done)
        return obs, state, reward, done, info

    def _save(
        self, key: jax.Array, state: FrontierVecState, obs: jax.Array, done, info
    ) -> FrontierVecState:
        """Copy one env (at random) that just entered the target step alive into the buffer."""
        arrived = info["task_done"] & (info["plan_step"] == state.target) & ~done
        any_arrived = arrived.any()
        env = jnp.argmax(jnp.where(arrived, jax.random.uniform(key, arrived.shape), -1.0))
        slot = state.saved % self.size
        new = jax.tree.map(lambda x: x[env], state.inner.env_state).replace(
            fresh=jnp.zeros((), bool)
        )

        def write(buffer: jax.Array, row: jax.Array) -> jax.Array:
            return buffer.at[slot].set(jnp.where(any_arrived, row, buffer[slot]))

        return state.replace(
            buffer_obs=write(state.buffer_obs, obs[env]),
            buffer_state=jax.tree.map(write, state.buffer_state, new),
            saved=state.saved + any_arrived.astype(jnp.int32),
        )

    def _restart(
        self, coin_key: jax.Array, pick_key: jax.Array, state: FrontierVecState, obs, done
    ) -> tuple[jax.Array, FrontierVecState]:
        """Finished envs (already reset fresh) start from a buffered state with prob ``prob``."""
        filled = jnp.minimum(state.saved, self.size)
        coin = jax.random.uniform(coin_key, (self.num_envs,)) < state.prob
        use = done & coin & (filled > 0)
        pick = jax.random.randint(pick_key, (self.num_envs,), 0, jnp.maximum(filled, 1))

        def restart(operand: tuple[jax.Array, Any]) -> tuple[jax.Array, Any]:
            obs, env_state = operand
            saved_obs = take_rows(state.buffer_obs, pick)
            saved_state = take_rows(state.buffer_state, pick)
            return select_rows(use, saved_obs, obs), select_rows(use, saved_state, env_state)

        obs, env_state = jax.lax.cond(
            use.any(), restart, lambda operand: operand, (obs, state.inner.env_state)
        )
        return obs, state.replace(inner=state.inner.replace(env_state=env_state))
