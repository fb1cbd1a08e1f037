"""Symbolic observation of a Fabrax state (the layout of Classic's, with Fabrax sizes).

Flat float32 vector: the 7x9 local view as one-hot blocks (27) + 4 mob channels (zombie,
cow, skeleton, arrow), then the 38 inventory counts / 10, health/food/drink/energy / 10,
the facing direction one-hot (4), light level and sleeping.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from flowrl.envs.fabrax.constants import OBS_DIM, BlockType
from flowrl.envs.fabrax.state import INVENTORY_FIELDS, FabraxState, inventory_vector

NUM_MOB_CHANNELS = 4
NUM_BLOCKS = len(BlockType)


def observation_size() -> int:
    view = OBS_DIM[0] * OBS_DIM[1] * (NUM_BLOCKS + NUM_MOB_CHANNELS)
    return view + len(INVENTORY_FIELDS) + 4 + 4 + 2


def render_symbolic(state: FabraxState) -> jax.Array:
    rows, cols = OBS_DIM
    pad = max(OBS_DIM)
    padded = jnp.pad(state.map, pad, constant_values=BlockType.OUT_OF_BOUNDS.value)
    corner = state.player_position - jnp.array([rows // 2, cols // 2]) + pad
    view = jax.lax.dynamic_slice(padded, corner, OBS_DIM)
    blocks = jax.nn.one_hot(view, NUM_BLOCKS, dtype=jnp.float32)

    mobs = jnp.zeros((rows, cols, NUM_MOB_CHANNELS), jnp.float32)
    for channel, group in enumerate((state.zombies, state.cows, state.skeletons, state.arrows)):
        local = group.position - state.player_position + jnp.array([rows // 2, cols // 2])
        visible = group.mask & jnp.all((local >= 0) & (local < jnp.array(OBS_DIM)), axis=-1)
        r = jnp.where(visible, local[:, 0], rows)  # out of range: dropped
        mobs = mobs.at[r, local[:, 1], channel].set(1.0, mode="drop")

    intrinsics = jnp.stack(
        [state.player_health, state.player_food, state.player_drink, state.player_energy]
    )
    return jnp.concatenate(
        [
            jnp.concatenate([blocks, mobs], axis=-1).ravel(),
            inventory_vector(state.inventory).astype(jnp.float32) / 10.0,
            intrinsics.astype(jnp.float32) / 10.0,
            jax.nn.one_hot(state.player_direction - 1, 4, dtype=jnp.float32),
            jnp.stack([state.light_level, state.is_sleeping]).astype(jnp.float32),
        ]
    )
