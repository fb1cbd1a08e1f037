"""The Fabrax step: Fabrax actions and blocks first, then the released Classic step.

The Classic step (:func:`craftax.craftax_classic.game_logic.craftax_step`) runs on a
*Classic view* of the state: Fabrax blocks are shown as inert Classic blocks
(:data:`CLASSIC_PROXY`), forged pickaxes count as the Classic pickaxe of their tier, and
Fabrax actions reach it as NOOP. Afterwards the Fabrax blocks and the true pickaxe counts
are put back. Classic rules therefore stay exactly those of the released game.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from craftax.craftax_classic.game_logic import craftax_step, get_player_attack_damage

from flowrl.envs.fabrax.constants import (
    BRONZE_SWORD_DAMAGE,
    CLASSIC_PROXY,
    HARDENED_EDGE_BONUS,
    MINEABLE,
    MINED_BLOCK_BECOMES,
    NUM_CLASSIC_ACTIONS,
    NUM_CLASSIC_BLOCKS,
    PLACEABLE_ON,
    STEEL_SWORD_DAMAGE,
    Action,
    BlockType,
)
from flowrl.envs.fabrax.recipes import FIRST_FABRAX_ACTION, RECIPES, recipe_arrays
from flowrl.envs.fabrax.state import (
    ITEM_INDEX,
    FabraxState,
    inventory_from_vector,
    inventory_vector,
)

DIRECTIONS = np.array([[0, 0], [0, -1], [0, 1], [-1, 0], [1, 0]], np.int32)
NEIGHBOURS = np.array(
    [[0, -1], [0, 1], [-1, 0], [1, 0], [-1, -1], [-1, 1], [1, -1], [1, 1]], np.int32
)
_RECIPES = recipe_arrays()
_NUM_BLOCKS = len(BlockType)
_PLACEABLE = np.isin(np.arange(_NUM_BLOCKS), [b.value for b in PLACEABLE_ON])
_MINE_ITEM = np.full(_NUM_BLOCKS, -1, np.int32)
_MINE_ACHIEVEMENT = np.zeros(_NUM_BLOCKS, np.int32)
_MINE_TIER = np.zeros(_NUM_BLOCKS, np.int32)
for _block, (_item, _achievement, _tier) in MINEABLE.items():
    _MINE_ITEM[_block.value] = ITEM_INDEX[_item]
    _MINE_ACHIEVEMENT[_block.value] = _achievement.value
    _MINE_TIER[_block.value] = _tier
_IDS = np.arange(_NUM_BLOCKS)
_PROXY_BY_ARITHMETIC = np.where(
    _IDS < NUM_CLASSIC_BLOCKS,
    _IDS,
    np.where(BlockType.CLAY.value == _IDS, BlockType.SAND.value, BlockType.PLANT.value),
)
assert (_PROXY_BY_ARITHMETIC == CLASSIC_PROXY).all()  # fabrax_step computes it this way


def facing_cell(state: FabraxState) -> tuple[jax.Array, jax.Array]:
    """(cell the player faces, whether it is inside the map)."""
    cell = state.player_position + jnp.asarray(DIRECTIONS)[state.player_direction]
    h, w = state.map.shape
    inside = (cell[0] >= 0) & (cell[0] < h) & (cell[1] >= 0) & (cell[1] < w)
    return jnp.clip(cell, 0, jnp.array([h - 1, w - 1])), inside


def near_stations(state: FabraxState) -> jax.Array:
    """(stations,) bool: each station block of the recipe table among the 8 cells around."""
    cells = state.player_position[None, :] + jnp.asarray(NEIGHBOURS)
    h, w = state.map.shape
    inside = (cells[:, 0] >= 0) & (cells[:, 0] < h) & (cells[:, 1] >= 0) & (cells[:, 1] < w)
    clipped = jnp.clip(cells, 0, jnp.array([h - 1, w - 1]))
    blocks = jnp.where(
        inside, state.map[clipped[:, 0], clipped[:, 1]], BlockType.OUT_OF_BOUNDS.value
    )
    return (blocks[:, None] == jnp.asarray(_RECIPES.station_blocks)[None, :]).any(axis=0)


def pickaxe_tier(inventory: Any) -> jax.Array:
    """0 none, 1 wood, 2 stone or bronze, 3 iron or steel."""
    return jnp.max(
        jnp.array(
            [
                0,
                1 * (inventory.wood_pickaxe > 0),
                2 * ((inventory.stone_pickaxe > 0) | (inventory.bronze_pickaxe > 0)),
                3 * ((inventory.iron_pickaxe > 0) | (inventory.steel_pickaxe > 0)),
            ],
            jnp.int32,
        )
    )


def attack_damage(state: FabraxState) -> jax.Array:
    """Melee damage: the best of Classic's and the forged swords, plus a hardened edge."""
    forged = jnp.maximum(
        BRONZE_SWORD_DAMAGE * (state.inventory.bronze_sword > 0),
        STEEL_SWORD_DAMAGE * (state.inventory.steel_sword > 0),
    )
    best = jnp.maximum(get_player_attack_damage(state), forged)
    return best + HARDENED_EDGE_BONUS * jnp.asarray(state.edge_hardened, jnp.int32)


def _recipe_outcome(state: FabraxState, action: jax.Array, inv: jax.Array, free: jax.Array):
    """(ok, inventory delta, placed block or 0, achievement, hardens) of a Fabrax action."""
    r = jnp.clip(action - FIRST_FABRAX_ACTION, 0, len(RECIPES) - 1)
    is_recipe = (action >= FIRST_FABRAX_ACTION) & (action < FIRST_FABRAX_ACTION + len(RECIPES))
    has = inv > 0
    cost_ok = jnp.all(inv >= jnp.asarray(_RECIPES.cost)[r])
    needs_ok = jnp.all(has | ~jnp.asarray(_RECIPES.needs)[r])
    any_ok = ~jnp.asarray(_RECIPES.has_needs_any)[r] | jnp.any(
        has & jnp.asarray(_RECIPES.needs_any)[r]
    )
    stations_ok = jnp.all(near_stations(state) | ~jnp.asarray(_RECIPES.stations)[r])
    places = jnp.asarray(_RECIPES.places)[r]
    ok = is_recipe & cost_ok & needs_ok & any_ok & stations_ok & ((places == 0) | free)
    delta = ok * jnp.asarray(_RECIPES.delta)[r]
    hardens = ok & jnp.asarray(_RECIPES.hardens_edge)[r]
    return ok, delta, places, jnp.asarray(_RECIPES.achievement)[r], hardens


def _mining_outcome(state: FabraxState, action: jax.Array, target: jax.Array, free_cell: jax.Array):
    """(ok, inventory delta, achievement) of DO on a new resource block."""
    item = jnp.asarray(_MINE_ITEM)[target]
    ok = (
        (action == Action.DO.value)
        & free_cell
        & (item >= 0)
        & (pickaxe_tier(state.inventory) >= jnp.asarray(_MINE_TIER)[target])
    )
    delta = (jnp.arange(len(ITEM_INDEX)) == item) & ok
    return ok, delta.astype(jnp.int32), jnp.asarray(_MINE_ACHIEVEMENT)[target]


def act_on_world(state: FabraxState, action: jax.Array, awake: jax.Array) -> FabraxState:
    """Fabrax actions (craft, place, quench) and DO on sand, clay, limestone, copper or tin.

    A recipe needs its costs, kept items and stations; a placement also a free faced cell
    (grass, sand or path, no mob); mining needs the block's pickaxe tier and no mob on it.
    """
    cell, inside = facing_cell(state)
    target = state.map[cell[0], cell[1]]
    free_cell = awake & inside & ~state.mob_map[cell[0], cell[1]]
    inv = inventory_vector(state.inventory)
    free = free_cell & jnp.asarray(_PLACEABLE)[target]
    r_ok, r_delta, places, r_achievement, hardens = _recipe_outcome(state, action, inv, free)
    r_ok = r_ok & awake
    r_delta = r_delta * awake
    m_ok, m_delta, m_achievement = _mining_outcome(state, action, target, free_cell)
    cell_value = jnp.where(
        r_ok & (places > 0), places, jnp.where(m_ok, MINED_BLOCK_BECOMES.value, target)
    )
    achievement = jnp.where(r_ok, r_achievement, m_achievement)
    done = r_ok | m_ok
    return state.replace(
        inventory=inventory_from_vector(inv + r_delta + m_delta),
        map=state.map.at[cell[0], cell[1]].set(cell_value),
        achievements=state.achievements.at[achievement].set(state.achievements[achievement] | done),
        edge_hardened=state.edge_hardened | (hardens & awake),
    )


def strengthen_attack(state: FabraxState, action: jax.Array, awake: jax.Array) -> FabraxState:
    """Apply the forged-sword and edge damage above Classic's before Classic resolves the hit.

    The faced mob loses the extra damage (kept at >= 1 health, so Classic's own hit is the
    one that kills and Classic's kill rewards apply). A cow killed this way drops leather.
    """
    cell, inside = facing_cell(state)
    attacking = (action == Action.DO.value) & awake & inside
    damage = attack_damage(state)
    extra = damage - get_player_attack_damage(state)

    def hit(mobs: Any) -> tuple[Any, jax.Array]:
        struck = attacking & mobs.mask & jnp.all(mobs.position == cell[None, :], axis=-1)
        health = jnp.where(struck, jnp.maximum(mobs.health - extra, 1), mobs.health)
        killed = jnp.any(struck & (mobs.health <= damage))
        return mobs.replace(health=health.astype(mobs.health.dtype)), killed

    zombies, _ = hit(state.zombies)
    cows, cow_killed = hit(state.cows)
    skeletons, _ = hit(state.skeletons)
    inventory = state.inventory.replace(
        leather=state.inventory.leather + cow_killed.astype(jnp.int32)
    )
    return state.replace(zombies=zombies, cows=cows, skeletons=skeletons, inventory=inventory)


def _pickaxe_boost(inventory: Any) -> Any:
    """Classic pickaxes to lend for the Classic step so forged pickaxes mine by their tier."""
    tier = pickaxe_tier(inventory)
    zero = jnp.zeros((), jnp.int32)

    def lend(count: Any, needed_tier: int) -> jax.Array:
        return ((count == 0) & (tier >= needed_tier)).astype(jnp.int32)

    boost = jax.tree.map(lambda _: zero, inventory)
    return boost.replace(
        wood_pickaxe=lend(inventory.wood_pickaxe, 1),
        stone_pickaxe=lend(inventory.stone_pickaxe, 2),
        iron_pickaxe=lend(inventory.iron_pickaxe, 3),
    )


def fabrax_step(
    rng: jax.Array, state: FabraxState, action: jax.Array, params: Any, static_params: Any
) -> tuple[FabraxState, jax.Array]:
    """One Fabrax step; returns (state, reward) like Classic's ``craftax_step``."""
    action = jnp.asarray(action, jnp.int32)
    awake = ~jnp.asarray(state.is_sleeping, bool)
    achievements_before = state.achievements
    state = act_on_world(state, action, awake)
    state = strengthen_attack(state, action, awake)
    fabrax_reward = state.achievements.sum(dtype=jnp.float32) - achievements_before.sum(
        dtype=jnp.float32
    )

    true_map = state.map
    proxy_map = jnp.where(  # CLASSIC_PROXY by arithmetic: cheaper than a gather per cell
        true_map < NUM_CLASSIC_BLOCKS,
        true_map,
        jnp.where(true_map == BlockType.CLAY.value, BlockType.SAND.value, BlockType.PLANT.value),
    )
    boost = _pickaxe_boost(state.inventory)
    view = state.replace(map=proxy_map, inventory=jax.tree.map(jnp.add, state.inventory, boost))
    classic_action = jnp.where(action < NUM_CLASSIC_ACTIONS, action, Action.NOOP.value)
    view, classic_reward = craftax_step(rng, view, classic_action, params, static_params)
    untouched = (true_map != proxy_map) & (view.map == proxy_map)
    state = view.replace(
        map=jnp.where(untouched, true_map, view.map),
        inventory=jax.tree.map(jnp.subtract, view.inventory, boost),
    )
    return state, classic_reward + fabrax_reward
