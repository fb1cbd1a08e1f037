"""Generalised advantage estimation with bootstrapping cut at plan-step boundaries.

Each plan step has its own expert whose critic predicts the return of *its* task only,
so the value of the state after a step completes (a different expert's estimate, on a
different reward scale) must not leak back. A cut at ``t`` (episode end or plan step
completed) stops both the one-step bootstrap and the GAE recursion at ``t``; the
completion bonus collected at ``t`` stays in the return of the finished step.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp


def compute_gae(
    rewards: jax.Array,
    values: jax.Array,
    cuts: jax.Array,
    last_value: jax.Array,
    gamma: float,
    gae_lambda: float,
) -> tuple[jax.Array, jax.Array]:
    """Advantages and value targets of a (T, ...) trajectory.

    Args:
        rewards: (T, N) reward received after the action at t.
        values: (T, N) critic value of the state at t (from the expert acting at t).
        cuts: (T, N) bool, True where bootstrapping stops after t (done or step finished).
        last_value: (N,) value of the state following the last transition.
        gamma, gae_lambda: discount and GAE lambda.

    Returns:
        (advantages, targets), both (T, N); ``targets = advantages + values``.
    """
    keep = 1.0 - cuts.astype(values.dtype)
    next_values = jnp.concatenate([values[1:], last_value[None]], axis=0)
    deltas = rewards + gamma * next_values * keep - values

    def backward(gae: jax.Array, step: tuple[jax.Array, jax.Array]) -> tuple[jax.Array, jax.Array]:
        delta, k = step
        gae = delta + gamma * gae_lambda * k * gae
        return gae, gae

    _, advantages = jax.lax.scan(backward, jnp.zeros_like(last_value), (deltas, keep), reverse=True)
    return advantages, advantages + values


def plan_step_cuts(done: jax.Array, task_done: jax.Array) -> jax.Array:
    """Where bootstrapping stops: the episode ended or the acting expert changes (a plan
    step completed, an upkeep skill began or ended: ``info["task_switch"]``)."""
    return jnp.logical_or(done, task_done)
