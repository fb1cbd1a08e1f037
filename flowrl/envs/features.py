"""Symbolic features of a craftax state, the inputs of skill code.

``compute_features`` reads one (unbatched) game state; ``skill_arguments`` turns the
features of two consecutive states into the keyword arguments skill functions receive.
Everything is pure JAX and vmaps.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import struct

from flowrl.envs.games import UNSEEN_DISTANCE, GameSpec

DEFAULT_CLOSEST_K = 5


@struct.dataclass
class SymbolicFeatures:
    """Per-state features (no diffs: diffs are taken between two of these)."""

    inventory: Any
    closest_blocks: jax.Array  # (num_block_types + num_mob_kinds, 2, K) int32
    player_intrinsics: jax.Array  # (4,) or (5,) float32
    achievements: jax.Array  # (num_achievements,) bool
    player_level: jax.Array  # () int32, 0 in single-floor games
    monsters_killed: jax.Array  # (num_levels,) int32, (1,) zeros in single-floor games


def _view_offsets(obs_dim: tuple[int, int]) -> np.ndarray:
    """(rows*cols, 2) offsets of the view cells, sorted by distance (stable, row-major ties)."""
    rows, cols = obs_dim
    dr, dc = np.meshgrid(np.arange(rows) - rows // 2, np.arange(cols) - cols // 2, indexing="ij")
    offsets = np.stack([dr.ravel(), dc.ravel()], axis=1)
    dist = np.hypot(offsets[:, 0], offsets[:, 1])
    order = np.argsort(dist, kind="stable")
    return offsets[order].astype(np.int32)


def closest_blocks(
    block_map: jax.Array,
    position: jax.Array,
    obs_dim: tuple[int, int],
    num_block_types: int,
    k: int,
    out_of_bounds: int,
) -> jax.Array:
    """Offsets of the ``k`` nearest blocks of each type within the agent's view.

    Returns int32 ``(num_block_types, 2, k)``; entries for missing blocks are
    ``UNSEEN_DISTANCE``. Cells outside the map count as ``out_of_bounds`` blocks.
    """
    offsets = jnp.asarray(_view_offsets(obs_dim))  # (C, 2) sorted by distance
    num_cells = offsets.shape[0]
    cells = position[None, :] + offsets
    h, w = block_map.shape
    inside = (cells[:, 0] >= 0) & (cells[:, 0] < h) & (cells[:, 1] >= 0) & (cells[:, 1] < w)
    clipped = jnp.clip(cells, 0, jnp.array([h - 1, w - 1]))
    blocks = jnp.where(inside, block_map[clipped[:, 0], clipped[:, 1]], out_of_bounds)
    # One integer sort groups cells by block type, nearest first within a type
    # (3-8x faster on CPU than top_k, argsort or a one-hot rank tensor).
    keys = jnp.sort(blocks.astype(jnp.int32) * num_cells + jnp.arange(num_cells))
    sorted_type, cell = keys // num_cells, keys % num_cells
    types = jnp.arange(num_block_types)
    first = jnp.searchsorted(sorted_type, types)  # first sorted position of each type
    position_k = first[:, None] + jnp.arange(k)[None, :]  # (T, K)
    safe = jnp.clip(position_k, 0, num_cells - 1)
    found = (position_k < num_cells) & (sorted_type[safe] == types[:, None])
    chosen = jnp.where(found[..., None], offsets[cell[safe]], UNSEEN_DISTANCE)  # (T, K, 2)
    return chosen.transpose(0, 2, 1).astype(jnp.int32)


def closest_mobs(
    mob_position: jax.Array,
    mob_kind: jax.Array,
    alive: jax.Array,
    position: jax.Array,
    obs_dim: tuple[int, int],
    num_kinds: int,
    k: int,
) -> jax.Array:
    """Offsets of the ``k`` nearest living mobs of each kind within the agent's view.

    ``mob_position`` is ``(M, 2)``, ``mob_kind`` and ``alive`` ``(M,)``. Returns int32
    ``(num_kinds, 2, k)`` laid out like :func:`closest_blocks` (``UNSEEN_DISTANCE`` when
    fewer are visible); ties keep the state's mob order.
    """
    offsets = (mob_position - position[None, :]).astype(jnp.int32)  # (M, 2)
    rows, cols = obs_dim
    visible = alive & (jnp.abs(offsets[:, 0]) <= rows // 2) & (jnp.abs(offsets[:, 1]) <= cols // 2)
    distance = jnp.hypot(offsets[:, 0], offsets[:, 1]).astype(jnp.float32)
    of_kind = visible[None, :] & (mob_kind[None, :] == jnp.arange(num_kinds)[:, None])  # (T, M)
    key = jnp.where(of_kind, distance[None, :], jnp.inf)
    count = mob_position.shape[0]
    order = jnp.argsort(key, axis=1, stable=True)[:, :k]  # (T, min(k, M))
    found = jnp.take_along_axis(of_kind, order, axis=1)
    chosen = jnp.where(found[..., None], offsets[order], UNSEEN_DISTANCE)  # (T, k', 2)
    if count < k:  # fewer mob slots than K: pad with unseen entries
        pad = jnp.full((num_kinds, k - count, 2), UNSEEN_DISTANCE, jnp.int32)
        chosen = jnp.concatenate([chosen, pad], axis=1)
    return chosen.transpose(0, 2, 1).astype(jnp.int32)


def mob_table(game: GameSpec, state: Any) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Position ``(M, 2)``, kind ``(M,)`` (index in ``game.mob_kinds``) and liveness of every
    mob slot on the player's floor, over the game's mob arrays (``GameSpec.mob_groups``)."""
    # empty parts first: a game without mobs still gets (0, ...) arrays
    positions, kinds = [jnp.zeros((0, 2), jnp.int32)], [jnp.zeros((0,), jnp.int32)]
    alive = [jnp.zeros((0,), bool)]
    first = 0
    for field_name, group in game.mob_groups:
        mobs = getattr(state, field_name)
        position, mask = mobs.position, mobs.mask
        type_id = getattr(mobs, "type_id", None)
        if type_id is None:
            if len(group) > 1:
                raise ValueError(
                    f"{game.env_name}: mob array {field_name!r} holds {len(group)} kinds but "
                    "has no type_id to tell them apart; give it one kind per array"
                )
            type_id = jnp.zeros(mask.shape, jnp.int32)
        if game.has_levels:  # per-floor arrays: the player's floor only
            level = state.player_level
            position, mask, type_id = position[level], mask[level], type_id[level]
        type_id = type_id.astype(jnp.int32)
        positions.append(position.astype(jnp.int32))
        kinds.append(first + jnp.clip(type_id, 0, len(group) - 1))
        # a type_id outside the group would land in the next group's rows: not shown
        alive.append(mask.astype(bool) & (type_id >= 0) & (type_id < len(group)))
        first += len(group)
    return jnp.concatenate(positions), jnp.concatenate(kinds), jnp.concatenate(alive)


def compute_features(game: GameSpec, state: Any, k: int = DEFAULT_CLOSEST_K) -> SymbolicFeatures:
    """Symbolic features of one game state of ``game``."""
    constants = game.constants
    if game.has_levels:
        block_map = state.map[state.player_level]
        intrinsics = jnp.stack(
            [
                state.player_health,
                state.player_food,
                state.player_drink,
                state.player_energy,
                state.player_mana,
            ]
        )
        level = jnp.asarray(state.player_level, jnp.int32)
        killed = jnp.asarray(state.monsters_killed, jnp.int32)
    else:
        block_map = state.map
        intrinsics = jnp.stack(
            [state.player_health, state.player_food, state.player_drink, state.player_energy]
        )
        level = jnp.zeros((), jnp.int32)
        killed = jnp.zeros((1,), jnp.int32)
    inventory = jax.tree.map(lambda x: jnp.asarray(x, jnp.int32), state.inventory)
    blocks = closest_blocks(
        block_map,
        state.player_position,
        game.obs_dim,
        game.num_block_types,
        k,
        constants.BlockType.OUT_OF_BOUNDS.value,
    )
    mobs = closest_mobs(
        *mob_table(game, state), state.player_position, game.obs_dim, len(game.mob_kinds), k
    )
    return SymbolicFeatures(
        inventory=inventory,
        closest_blocks=jnp.concatenate([blocks, mobs]),
        player_intrinsics=intrinsics.astype(jnp.float32),
        achievements=jnp.asarray(state.achievements, bool),
        player_level=level,
        monsters_killed=killed,
    )


def health_penalty(prev: SymbolicFeatures, cur: SymbolicFeatures) -> jax.Array:
    """0.1 x change of health + 0.1 x summed change of food, drink and energy."""
    diff = cur.player_intrinsics - prev.player_intrinsics
    return 0.1 * diff[0] + 0.1 * diff[1:4].sum()


def skill_arguments(prev: SymbolicFeatures, cur: SymbolicFeatures) -> dict[str, Any]:
    """Every feature skill code may ask for, keyed by contract parameter name."""
    return {
        "inventory": cur.inventory,
        "inventory_diff": jax.tree.map(jnp.subtract, cur.inventory, prev.inventory),
        "closest_blocks": cur.closest_blocks,
        "closest_blocks_prev": prev.closest_blocks,
        "player_intrinsics": cur.player_intrinsics,
        "player_intrinsics_diff": cur.player_intrinsics - prev.player_intrinsics,
        "achievements": cur.achievements,
        "achievements_diff": cur.achievements & ~prev.achievements,
        "player_level": cur.player_level,
        "player_level_diff": cur.player_level - prev.player_level,
        "monsters_killed": cur.monsters_killed,
        "monsters_killed_diff": cur.monsters_killed - prev.monsters_killed,
        "health_penalty": health_penalty(prev, cur),
    }


def call_with_features(fn: Callable[..., Any], features: dict[str, Any]) -> Any:
    """Call a skill function, passing each parameter by name from ``features``.

    Parameters without a feature of that name (e.g. ``n`` bound by a plan step) keep
    their defaults.
    """
    params = inspect.signature(fn).parameters
    kwargs = {name: features[name] for name in params if name in features}
    return fn(**kwargs)
