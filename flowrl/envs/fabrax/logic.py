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


def apply_recipes(state: FabraxState, action: jax.Array, awake: jax.Array) -> FabraxState:
    """Craft or place with a Fabrax action when its costs, needs and stations are met."""
    r = jnp.clip(action - FIRST_FABRAX_ACTION, 0, len(RECIPES) - 1)
    is_recipe = (action >= FIRST_FABRAX_ACTION) & (action < FIRST_FABRAX_ACTION + len(RECIPES))
    inv = inventory_vector(state.inventory)
    has = inv > 0
    cost_ok = jnp.all(inv >= jnp.asarray(_RECIPES.cost)[r])
    needs_ok = jnp.all(has | ~jnp.asarray(_RECIPES.needs)[r])
    any_ok = ~jnp.asarray(_RECIPES.has_needs_any)[r] | jnp.any(
        has & jnp.asarray(_RECIPES.needs_any)[r]
    )
    stations_ok = jnp.all(near_stations(state) | ~jnp.asarray(_RECIPES.stations)[r])
    places = jnp.asarray(_RECIPES.places)[r]
    cell, inside = facing_cell(state)
    target = state.map[cell[0], cell[1]]
    free = inside & jnp.asarray(_PLACEABLE)[target] & ~state.mob_map[cell[0], cell[1]]
    place_ok = (places == 0) | free
    ok = is_recipe & awake & cost_ok & needs_ok & any_ok & stations_ok & place_ok
    inv = inv + ok * jnp.asarray(_RECIPES.delta)[r]
    placing = ok & (places > 0)
    new_map = state.map.at[cell[0], cell[1]].set(jnp.where(placing, places, target))
    achievement = jnp.asarray(_RECIPES.achievement)[r]
    achievements = state.achievements.at[achievement].set(state.achievements[achievement] | ok)
    hardened = state.edge_hardened | (ok & jnp.asarray(_RECIPES.hardens_edge)[r])
    return state.replace(
        inventory=inventory_from_vector(inv),
        map=new_map,
        achievements=achievements,
        edge_hardened=hardened,
    )


def mine_new_blocks(state: FabraxState, action: jax.Array, awake: jax.Array) -> FabraxState:
    """DO on sand, clay, limestone, copper or tin with the pickaxe tier they need."""
    cell, inside = facing_cell(state)
    block = state.map[cell[0], cell[1]]
    item = jnp.asarray(_MINE_ITEM)[block]
    ok = (
        (action == Action.DO.value)
        & awake
        & inside
        & (item >= 0)
        & (pickaxe_tier(state.inventory) >= jnp.asarray(_MINE_TIER)[block])
        & ~state.mob_map[cell[0], cell[1]]
    )
    inv = inventory_vector(state.inventory)
    inv = inv.at[jnp.maximum(item, 0)].add(ok.astype(jnp.int32))
    achievement = jnp.asarray(_MINE_ACHIEVEMENT)[block]
    achievements = state.achievements.at[achievement].set(state.achievements[achievement] | ok)
    new_map = state.map.at[cell[0], cell[1]].set(jnp.where(ok, MINED_BLOCK_BECOMES.value, block))
    return state.replace(
        inventory=inventory_from_vector(inv), map=new_map, achievements=achievements
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
    state = apply_recipes(state, action, awake)
    state = mine_new_blocks(state, action, awake)
    state = strengthen_attack(state, action, awake)
    fabrax_reward = state.achievements.sum(dtype=jnp.float32) - achievements_before.sum(
        dtype=jnp.float32
    )

    true_map = state.map
    proxy_map = jnp.asarray(CLASSIC_PROXY)[true_map]
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
