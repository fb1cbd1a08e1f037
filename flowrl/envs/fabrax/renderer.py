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


# Flat tile colours of the Fabrax blocks in pixel renders (Classic blocks keep their textures).
BLOCK_COLOURS = {
    BlockType.COPPER: (184, 115, 51),
    BlockType.TIN: (170, 180, 190),
    BlockType.CLAY: (160, 100, 80),
    BlockType.LIMESTONE: (225, 220, 190),
    BlockType.ANVIL: (60, 60, 70),
    BlockType.KILN: (150, 60, 40),
    BlockType.COMPOSTER: (90, 120, 40),
    BlockType.ALCHEMY_BENCH: (120, 60, 150),
    BlockType.WINDOW: (170, 220, 240),
    BlockType.WALL_MASONRY: (140, 130, 120),
}


def make_craftax_pixel_renderer(block_pixel_size: int):
    """``state -> (H, W, 3)`` pixels: Classic's renderer on the Classic view of the state,
    then each Fabrax block of the local view painted as a flat tile with a dark border
    (mobs standing on clay are hidden by the tile). Sizes: Classic's (7, 16, 64). Used for
    rollout GIFs."""
    from craftax.craftax_classic.renderer import make_craftax_pixel_renderer as classic_make

    from flowrl.envs.fabrax.constants import CLASSIC_PROXY, NUM_CLASSIC_BLOCKS

    classic_render = classic_make(block_pixel_size)
    colours = jnp.zeros((NUM_BLOCKS, 3), jnp.float32)
    for block, rgb in BLOCK_COLOURS.items():
        colours = colours.at[block.value].set(jnp.asarray(rgb, jnp.float32))
    b = block_pixel_size
    inner = jnp.zeros((b, b), bool).at[1:-1, 1:-1].set(True)
    tile_mask = jnp.tile(inner, OBS_DIM)[..., None]
    rows, cols = OBS_DIM[0] * b, OBS_DIM[1] * b

    def render(state: FabraxState) -> jax.Array:
        pixels = classic_render(state.replace(map=jnp.asarray(CLASSIC_PROXY)[state.map]))
        pad = max(OBS_DIM)
        padded = jnp.pad(state.map, pad, constant_values=BlockType.OUT_OF_BOUNDS.value)
        corner = state.player_position - jnp.array([OBS_DIM[0] // 2, OBS_DIM[1] // 2]) + pad
        view = jax.lax.dynamic_slice(padded, corner, OBS_DIM)
        fabrax = jnp.repeat(jnp.repeat(view >= NUM_CLASSIC_BLOCKS, b, 0), b, 1)[..., None]
        tiles = jnp.repeat(jnp.repeat(colours[view], b, 0), b, 1)
        tiles = jnp.where(tile_mask, tiles, 0.3 * tiles)
        top = pixels[:rows, :cols]
        return pixels.at[:rows, :cols].set(jnp.where(fabrax, tiles.astype(top.dtype), top))

    return render
