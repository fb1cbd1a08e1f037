"""Minibatches that each hold the samples of one expert.

With one expert per skill, a mixed minibatch must run every expert on every row (or pay
for gathers and scatters), so its cost grows with the number of experts. Experts share no
parameters, so a PPO epoch can instead give each expert its own minibatches: the samples
of expert ``e`` (``n_e`` of them) are shuffled and dealt round-robin into ``k_e`` minibatches of
capacity ``M = batch / num_minibatches``. Each minibatch then runs a single expert, so an epoch
costs ``sum_e k_e`` steps of one network instead of ``num_minibatches`` steps of
``num_experts`` networks. ``k_e = ceil(n_e / M)`` (exact: every sample used, up to
``num_experts - 1`` extra steps) or ``max(1, round(n_e / M))`` (about ``num_minibatches``
steps; an epoch leaves out at most ``M / 2`` samples of an expert, chosen afresh each epoch).

Shapes are static: there are always :func:`minibatch_count` minibatches; a minibatch's unused rows carry
weight 0 and index 0, and a minibatch with no rows at all has ``valid`` False (the update
skips it). With one expert this is an ordinary random partition into equal minibatches.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from flax import struct


@struct.dataclass
class ExpertMinibatches:
    """One epoch's minibatches: ``index`` (S, M) rows of the flat batch, ``weight`` (S, M)
    summing to 1 over each valid minibatch's real rows, ``expert`` (S,), ``valid`` (S,).
    Expert ``e`` owns the consecutive minibatches ``first[e] : first[e] + count[e]``."""

    index: jax.Array
    weight: jax.Array
    expert: jax.Array
    valid: jax.Array
    first: jax.Array
    count: jax.Array


def minibatch_count(num_minibatches: int, num_experts: int) -> int:
    """Static minibatch count that always suffices: ``sum_e ceil(n_e/M) <= nmb + E - 1``."""
    return num_minibatches + num_experts - 1


def expert_minibatches(
    key: jax.Array,
    expert: jax.Array,
    num_experts: int,
    num_minibatches: int,
    exact: bool = True,
) -> ExpertMinibatches:
    """Shuffle ``expert`` (B,) sample indices into single-expert minibatches (see module).

    ``exact``: expert ``e`` gets ``ceil(n_e / M)`` minibatches and every sample is used. Otherwise
    it gets ``max(1, round(n_e / M))`` minibatches, so an epoch costs about ``num_minibatches``
    minibatches whatever the number of experts, and the samples that do not fit (at most
    ``M / 2`` per expert, a fresh random choice each epoch) sit this epoch out.
    """
    batch = expert.shape[0]
    if batch % num_minibatches:
        raise ValueError(f"batch {batch} must divide by num_minibatches {num_minibatches}")
    capacity = batch // num_minibatches
    minibatches = minibatch_count(num_minibatches, num_experts)
    expert = jnp.clip(expert.astype(jnp.int32), 0, num_experts - 1)

    # samples grouped by expert, in random order within each expert
    shuffled = jax.random.permutation(key, batch)
    order = shuffled[jnp.argsort(expert[shuffled], stable=True)]
    sorted_expert = expert[order]
    counts = jnp.bincount(expert, length=num_experts)
    rank = jnp.arange(batch) - (jnp.cumsum(counts) - counts)[sorted_expert]

    # expert e owns minibatches [first[e], first[e] + k[e]); its samples are dealt round-robin
    if exact:
        k = (counts + capacity - 1) // capacity
    else:  # round half up, at least one minibatch for an expert with samples (k <= ceil)
        k = jnp.where(counts > 0, jnp.maximum((2 * counts + capacity) // (2 * capacity), 1), 0)
    first = jnp.cumsum(k) - k
    k_mine = jnp.maximum(k[sorted_expert], 1)
    minibatch = first[sorted_expert] + rank % k_mine
    row = rank // k_mine

    # rows past the capacity (only when not exact) are dropped by the scatter
    index = jnp.zeros((minibatches, capacity), jnp.int32)
    index = index.at[minibatch, row].set(order.astype(jnp.int32), mode="drop")
    mask = jnp.zeros((minibatches, capacity), bool).at[minibatch, row].set(True, mode="drop")
    size = mask.sum(axis=1)
    weight = mask / jnp.maximum(size, 1)[:, None].astype(jnp.float32)
    minibatch_expert = jnp.searchsorted(jnp.cumsum(k), jnp.arange(minibatches), side="right")
    return ExpertMinibatches(
        index=index,
        weight=weight,
        expert=jnp.clip(minibatch_expert, 0, num_experts - 1).astype(jnp.int32),
        valid=size > 0,
        first=first.astype(jnp.int32),
        count=k.astype(jnp.int32),
    )
