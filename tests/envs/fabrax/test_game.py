"""Fabrax rules: registration, recipes as documented, mining tools, every achievement
reachable by a script from a constructed state, forged weapons and tools."""

from __future__ import annotations

from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from craftax.craftax_classic import constants as classic

from flowrl.envs.fabrax import constants as fc
from flowrl.envs.fabrax.constants import MINEABLE, Achievement, Action, BlockType
from flowrl.envs.fabrax.logic import attack_damage
from flowrl.envs.fabrax.recipes import RECIPES, STATIONS, recipe_table_markdown
from flowrl.envs.fabrax.scenario import OFFSETS, Player, arena, put_mob, quiet_params
from flowrl.envs.fabrax.state import INVENTORY_FIELDS, inventory_vector
from flowrl.envs.games import get_game

FABRAX = "Fabrax-Symbolic-v1"
DOCS = Path(__file__).resolve().parents[3] / "docs" / "fabrax.md"


@pytest.fixture(scope="module")
def game():
    spec = get_game(FABRAX)
    env = spec.make_env()
    params = quiet_params(env.default_params)
    _, state = jax.jit(env.reset_env)(jax.random.PRNGKey(3), params)
    return env, params, jax.jit(env.step_env), state


def player(game, **scene) -> Player:
    env, params, step, state = game
    return Player(env, params, step, arena(state, **scene))


# --- registration and ids -----------------------------------------------------------
def test_registered_with_classic_family_and_ids():
    spec = get_game(FABRAX)
    assert (spec.family, spec.inventory_cap, spec.obs_dim) == ("classic", 9, (7, 9))
    assert (spec.num_achievements, spec.num_block_types, spec.num_actions) == (54, 27, 44)
    for ours, theirs in ((Achievement, classic.Achievement), (Action, classic.Action)):
        assert [(m.name, m.value) for m in theirs] == [
            (m.name, m.value) for m in ours if m.value < len(theirs)
        ]
    assert [(b.name, b.value) for b in classic.BlockType] == [
        (b.name, b.value) for b in BlockType if b.value < fc.NUM_CLASSIC_BLOCKS
    ]


def test_every_fabrax_achievement_has_exactly_one_way():
    recipe = {r.achievement for r in RECIPES}
    mined = {a for _, a, _ in MINEABLE.values()}
    assert not recipe & mined
    assert recipe | mined == {a for a in Achievement if a.value >= 22}


def test_docs_show_the_recipe_table_in_force():
    assert recipe_table_markdown() in DOCS.read_text()


# --- recipes ------------------------------------------------------------------------------
def _all_stations_scene(recipe) -> dict:
    """Stations on seven neighbours, the faced cell (up) free grass, exact inputs in hand."""
    cells = [c for c in ("left", "right", "down", "up_left", "up_right", "down_left", "down_right")]
    blocks = dict(zip(cells, STATIONS.values(), strict=True))
    inventory = dict(recipe.cost)
    for name in (*recipe.needs, *recipe.needs_any[:1]):
        inventory[name] = inventory.get(name, 0) + 1
    return {"blocks": blocks, "inventory": inventory, "facing": "up"}


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.action.name)
def test_recipe_consumes_and_produces_exactly_the_table(game, recipe):
    p = player(game, **_all_stations_scene(recipe))
    before = np.asarray(inventory_vector(p.state.inventory))
    p.act(recipe.action)
    delta = dict(
        zip(INVENTORY_FIELDS, np.asarray(inventory_vector(p.state.inventory)) - before, strict=True)
    )
    expected = {n: recipe.gain.get(n, 0) - recipe.cost.get(n, 0) for n in INVENTORY_FIELDS}
    assert delta == expected
    assert p.achieved() == {recipe.achievement.name}
    assert p.block("up") == (recipe.places or BlockType.GRASS)
    assert bool(p.state.edge_hardened) == recipe.hardens_edge


@pytest.mark.parametrize("recipe", RECIPES, ids=lambda r: r.action.name)
def test_recipe_fails_without_an_input_or_a_station(game, recipe):
    scene = _all_stations_scene(recipe)
    required = {
        **recipe.cost,
        **dict.fromkeys(recipe.needs, 1),
        **dict.fromkeys(recipe.needs_any, 1),
    }
    missing = {k: v for k, v in scene["inventory"].items() if k not in required}
    assert not missing
    for item in required:  # drop one input (all alternatives of needs_any at once)
        inventory = {k: v for k, v in scene["inventory"].items() if k != item}
        if item in recipe.needs_any:
            inventory = {k: v for k, v in inventory.items() if k not in recipe.needs_any}
        p = player(game, blocks=scene["blocks"], inventory=inventory).act(recipe.action)
        assert p.achieved() == set(), item
    if recipe.stations:  # every input, no stations
        p = player(game, inventory=scene["inventory"]).act(recipe.action)
        assert p.achieved() == set()
    if recipe.places is not None:  # the faced cell is not free
        blocks = {**scene["blocks"], "up": BlockType.STONE}
        p = player(game, blocks=blocks, inventory=scene["inventory"]).act(recipe.action)
        assert p.achieved() == set() and p.block("up") == BlockType.STONE


def test_recipes_need_the_player_awake(game):
    recipe = RECIPES[0]
    p = player(game, **_all_stations_scene(recipe))
    p.state = p.state.replace(is_sleeping=jnp.asarray(True), player_energy=jnp.asarray(3))
    p.act(recipe.action)
    assert p.achieved() == set()


# --- mining -------------------------------------------------------------------------------
TIER_TOOLS = {0: {}, 1: {"wood_pickaxe": 1}, 2: {"wood_pickaxe": 1, "stone_pickaxe": 1}}


@pytest.mark.parametrize("block", list(MINEABLE), ids=lambda b: b.name)
def test_mining_new_blocks_needs_the_listed_tool(game, block):
    item, achievement, tier = MINEABLE[block]
    if tier > 0:
        p = player(game, blocks={"left": block}, inventory=TIER_TOOLS[tier - 1], facing="left")
        p.act(Action.DO)
        assert (p.item(item), p.block("left"), p.achieved()) == (0, block, set())
    p = player(game, blocks={"left": block}, inventory=TIER_TOOLS[tier], facing="left")
    p.act(Action.DO)
    assert (p.item(item), p.block("left")) == (1, BlockType.PATH)
    assert p.achieved() == {achievement.name}
    assert p.rewards == [1.0]


@pytest.mark.parametrize(
    ("tool", "block", "item"),
    [
        ("bronze_pickaxe", BlockType.IRON, "iron"),
        ("bronze_pickaxe", BlockType.COPPER, "copper"),
        ("steel_pickaxe", BlockType.DIAMOND, "diamond"),
    ],
)
def test_forged_pickaxes_mine_at_their_tier(game, tool, block, item):
    p = player(game, blocks={"left": block}, inventory={tool: 1}, facing="left").act(Action.DO)
    assert p.item(item) == 1 and p.item(tool) == 1
    assert p.item("iron_pickaxe") == p.item("stone_pickaxe") == p.item("wood_pickaxe") == 0


def test_bronze_pickaxe_does_not_mine_diamond(game):
    p = player(game, blocks={"left": BlockType.DIAMOND}, inventory={"bronze_pickaxe": 1})
    p.turn("left").act(Action.DO)
    assert p.item("diamond") == 0 and p.block("left") == BlockType.DIAMOND


@pytest.mark.parametrize("block", fc.FABRAX_SOLID_BLOCKS, ids=lambda b: b.name)
def test_solid_fabrax_blocks_stop_the_player(game, block):
    p = player(game, blocks={"left": block}, facing="up").act(Action.LEFT)
    assert p.block("left") == block
    assert int(p.state.player_direction) == Action.LEFT.value


def test_clay_is_walkable(game):
    p = player(game, blocks={"left": BlockType.CLAY})
    start = np.asarray(p.state.player_position)
    p.act(Action.LEFT)
    assert (np.asarray(p.state.player_position) == start + np.array([0, -1])).all()


# --- combat ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("inventory", "hardened", "damage"),
    [
        ({}, False, 1),
        ({"bronze_sword": 1}, False, 4),
        ({"steel_sword": 1}, False, 6),
        ({"bronze_sword": 1, "steel_sword": 1, "iron_sword": 1}, False, 6),
        ({"iron_sword": 1}, True, 6),
        ({"wood_sword": 1}, True, 3),
    ],
)
def test_attack_damage(game, inventory, hardened, damage):
    state = arena(game[3], inventory=inventory).replace(edge_hardened=jnp.asarray(hardened))
    assert int(attack_damage(state)) == damage


@pytest.mark.parametrize(
    ("sword", "health", "killed"),
    [
        ("steel_sword", 6, True),
        ("iron_sword", 6, False),
        ("bronze_sword", 4, True),
        ("stone_sword", 4, False),
    ],
)
def test_one_hit_kills_follow_the_damage(game, sword, health, killed):
    p = player(game, inventory={sword: 1})
    p.state = put_mob(p.state, "zombies", "up", health=health)
    p.act(Action.DO)
    assert ("DEFEAT_ZOMBIE" in p.achieved()) == killed
    assert bool(p.state.zombies.mask[0]) != killed


def test_cow_drops_leather_when_killed_only(game):
    p = player(game)
    p.state = put_mob(p.state, "cows", "up", health=3)
    p.act(Action.DO)  # bare hands: 3 -> 2, no kill
    assert p.item("leather") == 0 and "EAT_COW" not in p.achieved()
    p = player(game, inventory={"stone_sword": 1})
    p.state = put_mob(p.state, "cows", "up", health=3)
    p.act(Action.DO, times=3)  # kill, then hit the empty cell twice
    assert p.item("leather") == 1 and "EAT_COW" in p.achieved()
    assert int(p.state.player_food) > 0


# --- every achievement from constructed states ------------------------------------------
def test_metallurgy_branch_by_script(game):
    start = {
        "wood": 9,
        "stone": 9,
        "coal": 9,
        "iron": 2,
        "copper": 1,
        "tin": 1,
        "wood_pickaxe": 1,
        "stone_pickaxe": 1,
    }
    blocks = {"left": BlockType.COPPER, "right": BlockType.TIN, "down_right": BlockType.WATER}
    p = player(game, blocks=blocks, inventory=start)
    p.state = put_mob(p.state, "cows", "up", health=1)
    A = Action
    p.play(
        [
            ("turn", "left"),
            ("act", A.DO),
            ("turn", "right"),
            ("act", A.DO),
            ("turn", "up"),
            ("act", A.DO),
            ("act", A.PLACE_TABLE),
            ("turn", "left"),
            ("act", A.PLACE_FURNACE),
            ("turn", "right"),
            ("act", A.PLACE_ANVIL),
            ("act", A.MAKE_BELLOWS),
            ("act", (A.SMELT_IRON_BAR, 2)),
            ("act", (A.MAKE_STEEL_BAR, 2)),
            ("act", (A.MAKE_BRONZE_BAR, 2)),
            ("act", A.FORGE_STEEL_PICKAXE),
            ("act", A.FORGE_BRONZE_PICKAXE),
            ("act", A.FORGE_STEEL_SWORD),
            ("act", A.FORGE_BRONZE_SWORD),
            ("act", A.HARDEN_EDGE),
        ]
    )
    metallurgy = {a.name for a in Achievement if 22 <= a.value <= 33}
    assert metallurgy | {"EAT_COW", "PLACE_TABLE", "PLACE_FURNACE"} <= p.achieved()
    assert bool(p.state.edge_hardened)
    assert [
        p.item(n) for n in ("steel_pickaxe", "bronze_pickaxe", "steel_sword", "bronze_sword")
    ] == [1, 1, 1, 1]
    assert p.item("coal") == 9 - 6 and p.item("iron_bar") == 0 and p.item("bronze_bar") == 0


def test_glass_and_ceramics_branch_by_script(game):
    start = {"wood": 9, "stone": 9, "coal": 9, "sand": 3, "wood_pickaxe": 1}
    blocks = {"left": BlockType.SAND, "right": BlockType.CLAY, "down": BlockType.LIMESTONE}
    p = player(game, blocks=blocks, inventory=start)
    A = Action
    p.play(
        [
            ("turn", "left"),
            ("act", A.DO),
            ("turn", "right"),
            ("act", A.DO),
            ("turn", "down"),
            ("act", A.DO),
            ("turn", "up"),
            ("act", A.PLACE_KILN),
            ("turn", "left"),
            ("act", A.PLACE_TABLE),
            ("act", (A.SMELT_GLASS, 3)),
            ("act", A.FIRE_BRICK),
            ("act", A.MAKE_GLASS_BOTTLE),
            ("act", A.MAKE_LENS),
            ("act", A.MAKE_TELESCOPE),
            ("act", A.MAKE_LIME),
            ("act", A.MAKE_MORTAR),
            ("turn", "right"),
            ("act", A.PLACE_WINDOW),
            ("turn", "down"),
            ("act", A.PLACE_WALL_MASONRY),
        ]
    )
    glass = {a.name for a in Achievement if 34 <= a.value <= 46}
    assert glass <= p.achieved()
    assert (p.block("right"), p.block("down")) == (BlockType.WINDOW, BlockType.WALL_MASONRY)
    assert [p.item(n) for n in ("telescope", "bottle", "brick", "sand", "glass")] == [1, 1, 1, 0, 0]


def test_chemistry_branch_by_script(game):
    start = {"wood": 9, "stone": 9, "sapling": 2, "bottle": 2, "lime": 1}
    p = player(game, inventory=start)
    A = Action
    p.play(
        [
            ("act", A.PLACE_COMPOSTER),
            ("turn", "left"),
            ("act", A.PLACE_KILN),
            ("turn", "right"),
            ("act", A.PLACE_ALCHEMY_BENCH),
            ("act", (A.MAKE_TAR, 3)),
            ("act", A.MAKE_FERTILIZER),
            ("act", A.BREW_TONIC),
            ("act", A.BREW_STONE_SKIN),
            ("act", A.MAKE_FLUX),
        ]
    )
    chemistry = {a.name for a in Achievement if 47 <= a.value <= 53}
    assert chemistry | {"PLACE_KILN"} <= p.achieved()
    assert [p.item(n) for n in ("fertilizer", "tonic_basic", "tonic_stoneskin", "flux")] == [
        1,
        1,
        1,
        1,
    ]
    assert p.item("tar") == p.item("bottle") == p.item("sapling") == p.item("lime") == 0


def test_classic_branch_by_script(game):
    blocks = {"left": BlockType.TREE, "right": BlockType.STONE, "down": BlockType.WATER}
    p = player(game, blocks=blocks, inventory={"wood": 8, "stone": 5, "coal": 2, "iron": 2})
    r, c = (int(v) for v in p.state.player_position)

    def put(where: str, block: BlockType) -> None:
        dr, dc = OFFSETS[where]
        p.state = p.state.replace(map=p.state.map.at[r + dr, c + dc].set(block.value))

    A = Action
    p.play(
        [
            ("turn", "left"),
            ("act", A.DO),
            ("turn", "down"),
            ("act", A.DO),
            ("turn", "up"),
            ("act", A.PLACE_TABLE),
            ("act", A.MAKE_WOOD_PICKAXE),
            ("act", A.MAKE_WOOD_SWORD),
            ("turn", "right"),
            ("act", A.DO),
            ("act", A.MAKE_STONE_PICKAXE),
            ("act", A.MAKE_STONE_SWORD),
            ("act", A.PLACE_FURNACE),
            ("act", A.MAKE_IRON_PICKAXE),
            ("act", A.MAKE_IRON_SWORD),
        ]
    )
    p.turn("left")
    for ore in (BlockType.COAL, BlockType.IRON, BlockType.DIAMOND):
        put("left", ore)
        p.act(A.DO)
    p.act(A.PLACE_STONE)
    put("left", BlockType.GRASS)
    p.state = p.state.replace(inventory=p.state.inventory.replace(sapling=jnp.asarray(1)))
    p.act(A.PLACE_PLANT)
    put("down", BlockType.RIPE_PLANT)
    p.turn("down").act(A.DO)
    put("down", BlockType.GRASS)
    for kind, health in (("zombies", 5), ("skeletons", 3), ("cows", 3)):  # iron sword: 5
        p.state = put_mob(p.state, kind, "down", health=health)
        p.act(A.DO)
    for _ in range(100):  # Classic's 10% sapling chance per hit on grass, its own rng
        if "COLLECT_SAPLING" in p.achieved():
            break
        p.act(A.DO)
    p.state = p.state.replace(player_energy=jnp.asarray(8, jnp.int32))
    p.act(A.SLEEP)
    for _ in range(100):
        if "WAKE_UP" in p.achieved():
            break
        p.act(A.NOOP)
    assert p.achieved() == {a.name for a in Achievement if a.value < 22}


def test_pixel_render_paints_fabrax_blocks(game):
    from flowrl.envs.fabrax.renderer import BLOCK_COLOURS, make_craftax_pixel_renderer

    state = arena(game[3], blocks={"left": BlockType.KILN, "right": BlockType.STONE})
    pixels = np.asarray(jax.jit(make_craftax_pixel_renderer(7))(state))
    assert pixels.shape == (9 * 7, 9 * 7, 3)
    r, c = 3 * 7 + 3, 3 * 7 + 3  # centre of the cell left of the player (row 3, col 3)
    assert tuple(pixels[r, c]) == BLOCK_COLOURS[BlockType.KILN]
    assert tuple(pixels[r, c + 14]) not in BLOCK_COLOURS.values()  # stone keeps its texture


def test_symbolic_observation_layout(game):
    from flowrl.envs.fabrax.renderer import NUM_MOB_CHANNELS, render_symbolic

    state = arena(game[3], blocks={"left": BlockType.KILN}, inventory={"copper": 5})
    state = put_mob(state, "cows", "right", health=3)
    obs = np.asarray(jax.jit(render_symbolic)(state))
    channels = len(BlockType) + NUM_MOB_CHANNELS
    view = obs[: 7 * 9 * channels].reshape(7, 9, channels)
    assert view[3, 3, BlockType.KILN.value] == 1.0 and view[3, 3].sum() == 1.0
    assert view[3, 5, len(BlockType) + 1] == 1.0  # cow channel, right of the player
    assert (view[..., : len(BlockType)].sum(-1) == 1.0).all()
    inventory = obs[7 * 9 * channels : 7 * 9 * channels + len(INVENTORY_FIELDS)]
    assert inventory[INVENTORY_FIELDS.index("copper")] == 0.5 and inventory.sum() == 0.5
    assert obs.shape == (game[0].observation_space(game[1]).shape[0],)
