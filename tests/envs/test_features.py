"""Symbolic features against hand-made game states (real craftax states, edited)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from craftax.craftax_classic.constants import BlockType

from flowrl.envs.features import closest_blocks, compute_features, skill_arguments
from flowrl.envs.games import get_game
from flowrl.skills.contract import UNSEEN_DISTANCE

CLASSIC = "Craftax-Classic-Symbolic-v1"
CRAFTAX = "Craftax-Symbolic-v1"


def fresh_world(env_name: str):
    """(game spec, the state of a generated world of ``env_name``)."""
    game = get_game(env_name)
    env = game.make_env()
    _, state = jax.jit(env.reset_env)(jax.random.PRNGKey(0), env.default_params)
    return game, state


@pytest.fixture(scope="module")
def classic_state():
    return fresh_world(CLASSIC)


@pytest.fixture(scope="module")
def craftax_state():
    return fresh_world(CRAFTAX)


def grass_world(state, position=(32, 32)):
    """The same state on an all-grass map with the player at ``position``."""
    grass = jnp.full_like(state.map, BlockType.GRASS.value)
    return state.replace(map=grass, player_position=jnp.asarray(position, jnp.int32))


def test_adjacent_tree_is_distance_one(classic_state):
    game, state = classic_state
    state = grass_world(state)
    state = state.replace(map=state.map.at[32, 33].set(BlockType.TREE.value))
    cb = compute_features(game, state).closest_blocks
    assert cb.shape == (game.num_feature_rows, 2, 5)
    tree = np.asarray(cb[BlockType.TREE.value])
    assert tree[:, 0].tolist() == [0, 1]
    assert np.abs(tree[:, 0]).sum() == 1
    assert (tree[:, 1:] == UNSEEN_DISTANCE).all()  # only one tree in view
    assert (np.asarray(cb[BlockType.WATER.value]) == UNSEEN_DISTANCE).all()


def test_nearest_first_and_view_limits(classic_state):
    game, state = classic_state
    state = grass_world(state)
    m = state.map
    m = m.at[32 + 3, 32].set(BlockType.STONE.value)  # 3 down: inside the 7-row view
    m = m.at[32, 32 - 2].set(BlockType.STONE.value)  # 2 left: nearer
    m = m.at[32 + 4, 32].set(BlockType.STONE.value)  # 4 down: outside (view is 7x9)
    m = m.at[32, 32 + 4].set(BlockType.STONE.value)  # 4 right: inside (9 columns)
    cb = np.asarray(compute_features(game, state.replace(map=m)).closest_blocks)
    stone = cb[BlockType.STONE.value]
    assert stone[:, 0].tolist() == [0, -2]
    assert stone[:, 1].tolist() == [3, 0]
    assert stone[:, 2].tolist() == [0, 4]
    assert (stone[:, 3:] == UNSEEN_DISTANCE).all()
    # every grass cell of the view except the 3 stones (and the player's own cell)
    assert (cb[BlockType.GRASS.value][:, :5] != UNSEEN_DISTANCE).all()


def test_map_edge_counts_as_out_of_bounds(classic_state):
    game, state = classic_state
    state = grass_world(state, position=(0, 0))
    cb = np.asarray(compute_features(game, state).closest_blocks)
    oob = cb[BlockType.OUT_OF_BOUNDS.value]
    assert np.abs(oob[:, 0]).sum() == 1  # the cell above or left of the corner


def test_closest_blocks_matches_brute_force(classic_state):
    _game, state = classic_state  # the real generated world, not edited
    pos = np.asarray(state.player_position)
    world = np.asarray(state.map)
    cb = np.asarray(closest_blocks(state.map, state.player_position, (7, 9), len(BlockType), 5, 1))
    for block in BlockType:
        cells = [
            (dr, dc)
            for dr in range(-3, 4)
            for dc in range(-4, 5)
            if world[pos[0] + dr, pos[1] + dc] == block.value
        ]
        dists = sorted(np.hypot(dr, dc) for dr, dc in cells)[:5]
        got = [np.hypot(*cb[block.value][:, k]) for k in range(len(dists))]
        np.testing.assert_allclose(got, dists, err_msg=block.name)


def place_mobs(mobs, cells, alive=None):
    """``mobs`` with its first slots at ``cells`` (alive unless told), the rest dead."""
    n = mobs.mask.shape[-1]
    position = np.zeros(mobs.position.shape, np.int32)
    mask = np.zeros(mobs.mask.shape, bool)
    for i, cell in enumerate(cells):
        position[..., i, :] = cell
        mask[..., i] = True if alive is None else alive[i]
    assert len(cells) <= n
    return mobs.replace(position=jnp.asarray(position), mask=jnp.asarray(mask))


def test_mob_rows_follow_the_block_types(classic_state):
    """Cows, zombies and skeletons sit in rows ``Mob.X.value``: nearest first, in view only,
    dead ones unseen; the block rows do not change."""
    game, state = classic_state
    state = grass_world(state)
    mob = game.mob_enum
    assert mob.ZOMBIE.value == len(BlockType) and game.num_feature_rows == len(BlockType) + 3
    blocks_before = np.asarray(compute_features(game, state).closest_blocks)[: len(BlockType)]
    state = state.replace(
        # 2 right and 1 up (inside), 3 down (inside), 5 right (outside the 9-column view)
        cows=place_mobs(state.cows, [(32, 34), (35, 32), (32, 37)]),
        zombies=place_mobs(state.zombies, [(31, 32), (32, 31)], alive=[False, True]),
        skeletons=place_mobs(state.skeletons, []),
    )
    cb = np.asarray(compute_features(game, state).closest_blocks)
    np.testing.assert_array_equal(cb[: len(BlockType)], blocks_before)
    cow = cb[mob.COW.value]
    assert cow[:, 0].tolist() == [0, 2] and cow[:, 1].tolist() == [3, 0]
    assert (cow[:, 2:] == UNSEEN_DISTANCE).all()
    zombie = cb[mob.ZOMBIE.value]
    assert zombie[:, 0].tolist() == [0, -1] and (zombie[:, 1:] == UNSEEN_DISTANCE).all()
    assert (cb[mob.SKELETON.value] == UNSEEN_DISTANCE).all()


def test_craftax_mob_rows_by_type_id(craftax_state):
    """Full Craftax: a mob's row is its class offset plus its ``type_id``, on the player's floor."""
    game, state = craftax_state
    pos = np.asarray(state.player_position)
    level = int(state.player_level)

    def on_floor(mobs, cell, type_id, floor):
        position = np.asarray(mobs.position).copy()
        mask = np.zeros(mobs.mask.shape, bool)
        types = np.asarray(mobs.type_id).copy()
        position[floor, 0] = pos + np.asarray(cell)
        mask[floor, 0] = True
        types[floor, 0] = type_id
        return mobs.replace(
            position=jnp.asarray(position), mask=jnp.asarray(mask), type_id=jnp.asarray(types)
        )

    state = state.replace(
        passive_mobs=on_floor(state.passive_mobs, (1, 0), 2, level),  # a snail below
        melee_mobs=on_floor(state.melee_mobs, (0, -2), 1, level),  # a gnome warrior
        ranged_mobs=on_floor(state.ranged_mobs, (0, 1), 0, level + 1),  # another floor
    )
    cb = np.asarray(compute_features(game, state).closest_blocks)
    mob = game.mob_enum
    assert cb[mob.SNAIL.value][:, 0].tolist() == [1, 0]
    assert cb[mob.GNOME_WARRIOR.value][:, 0].tolist() == [0, -2]
    seen = {m.name for m in mob if (cb[m.value] != UNSEEN_DISTANCE).any()}
    assert seen == {"SNAIL", "GNOME_WARRIOR"}


def test_craftax_mob_kinds_follow_craftax_type_ids():
    """``Mob`` of full Craftax names each (class, type_id) as craftax's own kill/eat
    achievement table does (passive, melee, ranged rows; craftax spells ORC_SOLIDER)."""
    from craftax.craftax.constants import MOB_ACHIEVEMENT_MAP, Achievement

    game = get_game(CRAFTAX)
    table = np.asarray(MOB_ACHIEVEMENT_MAP)
    for row, (_field, kinds) in enumerate(game.mob_groups):
        for type_id, kind in enumerate(kinds):
            name = Achievement(int(table[row, type_id])).name
            assert name.split("_", 1)[1].replace("SOLIDER", "SOLDIER") == kind, (kind, name)


def test_diffs_and_health_penalty(classic_state):
    game, state = classic_state
    prev = compute_features(game, state)
    later = state.replace(
        inventory=state.inventory.replace(wood=3, sapling=1),
        player_health=state.player_health - 2,
        player_food=state.player_food - 1,
        player_drink=state.player_drink + 1,
        achievements=state.achievements.at[0].set(True),
    )
    cur = compute_features(game, later)
    args = skill_arguments(prev, cur)
    assert int(args["inventory_diff"].wood) == 3 and int(args["inventory_diff"].stone) == 0
    np.testing.assert_allclose(np.asarray(args["player_intrinsics_diff"]), [-2, -1, 1, 0])
    np.testing.assert_allclose(float(args["health_penalty"]), 0.1 * -2 + 0.1 * (-1 + 1 + 0))
    assert bool(args["achievements_diff"][0]) and int(args["achievements_diff"].sum()) == 1
    again = skill_arguments(cur, cur)  # an achievement already held is not "new"
    assert int(again["achievements_diff"].sum()) == 0


def test_full_craftax_features(craftax_state):
    game, state = craftax_state
    feats = compute_features(game, state)
    assert feats.player_intrinsics.shape == (5,)  # + mana
    assert feats.closest_blocks.shape == (game.num_feature_rows, 2, 5)
    assert int(feats.player_level) == 0
    assert feats.monsters_killed.shape == state.monsters_killed.shape
    deeper = state.replace(player_level=1, monsters_killed=state.monsters_killed.at[1].set(3))
    args = skill_arguments(feats, compute_features(game, deeper))
    assert int(args["player_level_diff"]) == 1
    assert int(args["monsters_killed_diff"][1]) == 3
