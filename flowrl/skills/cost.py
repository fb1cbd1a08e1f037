"""What skill code costs per state, relative to the flow env's own step (the compute budget).

Every step of training evaluates the current plan step's ``task_is_done`` and
``task_reward`` on top of the game step and the feature computation, so a skill that costs
many game steps slows the whole training down by that much. The validator times the
compiled skill functions on sample states and compares them with the game step plus
features (:func:`env_step_seconds`), measured in the same process:

* every skill is timed next to a trusted reference skill (:func:`reference_seconds`, a
  distance-and-count skill like the knowledge base's), which is cheap to compile; the
  ratio reference / env step was measured when the samples were collected
  (``step_over_reference`` in their metadata), so ``skill / reference / that`` estimates
  the ratio to the env step;
* only a skill whose estimate comes near the limit pays for compiling the game step in the
  same run (seconds), and is judged by that exact ratio.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from flowrl.envs.games import GameSpec

COST_LIMIT = 5.0
"""A skill may cost at most this many plain flow-env steps (game step + features) per state."""
EXACT_FROM = 0.25
"""Estimates above this share of the limit are measured exactly against the env step."""
TIMING_REPEATS = 3
TIMING_BATCH = 512
"""States per timed call (the validator's chunk size, so every ratio is per state at one size)."""


def seconds_per_state(fn: Callable[..., Any], *args: Any, repeats: int = TIMING_REPEATS) -> float:
    """Best wall time of the compiled ``fn(*args)`` over ``repeats`` runs, per batch row."""
    batch = jax.tree.leaves(args)[0].shape[0]
    jax.block_until_ready(fn(*args))  # compile and warm
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        jax.block_until_ready(fn(*args))
        best = min(best, time.perf_counter() - start)
    return best / batch


def _reference_pair(prev: Any, cur: Any) -> tuple[jax.Array, jax.Array]:
    """A typical skill (done on a count, reward = approach bonus + count change)."""
    inventory = jax.tree.leaves(cur.inventory)[0]
    gained = jax.tree.leaves(cur.inventory)[0] - jax.tree.leaves(prev.inventory)[0]
    near = jnp.abs(cur.closest_blocks[:, :, 0]).sum(axis=-1)
    before = jnp.abs(prev.closest_blocks[:, :, 0]).sum(axis=-1)
    seen = jnp.logical_and(near < 60, before < 60)
    approach = jnp.where(seen, jnp.clip(before - near, -1, 1), 0).astype(jnp.float32)
    done = (inventory >= 1).all()
    return done, gained.sum() * 1.0 + 0.05 * approach[1]


def reference_seconds(prev: Any, cur: Any) -> float:
    """Time per state of the reference skill on the first :data:`TIMING_BATCH` pairs."""
    prev, cur = jax.tree.map(lambda x: x[:TIMING_BATCH], (prev, cur))
    return seconds_per_state(jax.jit(jax.vmap(_reference_pair)), prev, cur)


def env_step_seconds(game: GameSpec, batch: int = TIMING_BATCH, seed: int = 0) -> float:
    """Time per state of the plain flow-env step: the game step and the features."""
    from flowrl.envs.features import compute_features
    from flowrl.envs.game_env import GameEnv

    env = GameEnv(game)
    keys = jax.random.split(jax.random.PRNGKey(seed), batch)
    _, states = jax.jit(jax.vmap(env.reset))(keys)
    actions = jnp.arange(batch, dtype=jnp.int32) % env.num_actions

    def step(key: jax.Array, state: Any, action: jax.Array) -> Any:
        _, state, _, _, _ = env.step(key, state, action)
        return compute_features(env.game, state)

    return seconds_per_state(jax.jit(jax.vmap(step)), keys, states, actions)


def step_over_reference(game: GameSpec, batch: Any) -> float:
    """How many reference skills one plain flow-env step costs, per state, on the
    validator's probe ``batch`` (stored with the samples)."""
    return env_step_seconds(game) / reference_seconds(batch.prev, batch.cur)


def budget_reason(ratio: float, function_names: str) -> str:
    """The refusal for a skill over the compute budget."""
    return (
        f"{function_names} cost {ratio:.1f} times a whole game step per state (the limit is "
        f"{COST_LIMIT:g}): training would run that much slower; compute only what the "
        "skill needs from the features (small element-wise expressions, no large matrices, "
        "sorts or loops over many elements)."
    )
