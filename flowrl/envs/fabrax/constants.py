"""Fabrax enums and static tables: Craftax-Classic's ids unchanged, Fabrax ids after them.

Block, action and achievement ids follow the public Fabrax design (renos/Craftax,
``craftax/fabrax/fabrax_progression_guide.md``): Classic keeps 0-16 / 0-16 / 0-21, the three
crafting branches are appended. Recipes live in :mod:`flowrl.envs.fabrax.recipes`.
"""

from __future__ import annotations

from enum import Enum

import numpy as np

OBS_DIM = (7, 9)
INVENTORY_CAP = 9
NUM_CLASSIC_BLOCKS = 17
NUM_CLASSIC_ACTIONS = 17
NUM_CLASSIC_ACHIEVEMENTS = 22


class BlockType(Enum):
    INVALID = 0
    OUT_OF_BOUNDS = 1
    GRASS = 2
    WATER = 3
    STONE = 4
    TREE = 5
    WOOD = 6
    PATH = 7
    COAL = 8
    IRON = 9
    DIAMOND = 10
    CRAFTING_TABLE = 11
    FURNACE = 12
    SAND = 13
    LAVA = 14
    PLANT = 15
    RIPE_PLANT = 16
    COPPER = 17
    TIN = 18
    CLAY = 19
    LIMESTONE = 20
    ANVIL = 21
    KILN = 22
    COMPOSTER = 23
    ALCHEMY_BENCH = 24
    WINDOW = 25
    WALL_MASONRY = 26


class Action(Enum):
    NOOP = 0
    LEFT = 1
    RIGHT = 2
    UP = 3
    DOWN = 4
    DO = 5
    SLEEP = 6
    PLACE_STONE = 7
    PLACE_TABLE = 8
    PLACE_FURNACE = 9
    PLACE_PLANT = 10
    MAKE_WOOD_PICKAXE = 11
    MAKE_STONE_PICKAXE = 12
    MAKE_IRON_PICKAXE = 13
    MAKE_WOOD_SWORD = 14
    MAKE_STONE_SWORD = 15
    MAKE_IRON_SWORD = 16
    PLACE_ANVIL = 17
    PLACE_KILN = 18
    PLACE_COMPOSTER = 19
    PLACE_ALCHEMY_BENCH = 20
    MAKE_BELLOWS = 21
    SMELT_IRON_BAR = 22
    MAKE_STEEL_BAR = 23
    MAKE_BRONZE_BAR = 24
    FORGE_STEEL_PICKAXE = 25
    FORGE_BRONZE_PICKAXE = 26
    FORGE_STEEL_SWORD = 27
    FORGE_BRONZE_SWORD = 28
    HARDEN_EDGE = 29
    SMELT_GLASS = 30
    FIRE_BRICK = 31
    MAKE_GLASS_BOTTLE = 32
    MAKE_LENS = 33
    MAKE_TELESCOPE = 34
    MAKE_LIME = 35
    MAKE_MORTAR = 36
    PLACE_WINDOW = 37
    PLACE_WALL_MASONRY = 38
    MAKE_TAR = 39
    MAKE_FERTILIZER = 40
    BREW_TONIC = 41
    BREW_STONE_SKIN = 42
    MAKE_FLUX = 43


class Achievement(Enum):
    COLLECT_WOOD = 0
    PLACE_TABLE = 1
    EAT_COW = 2
    COLLECT_SAPLING = 3
    COLLECT_DRINK = 4
    MAKE_WOOD_PICKAXE = 5
    MAKE_WOOD_SWORD = 6
    PLACE_PLANT = 7
    DEFEAT_ZOMBIE = 8
    COLLECT_STONE = 9
    PLACE_STONE = 10
    EAT_PLANT = 11
    DEFEAT_SKELETON = 12
    MAKE_STONE_PICKAXE = 13
    MAKE_STONE_SWORD = 14
    WAKE_UP = 15
    PLACE_FURNACE = 16
    COLLECT_COAL = 17
    COLLECT_IRON = 18
    COLLECT_DIAMOND = 19
    MAKE_IRON_PICKAXE = 20
    MAKE_IRON_SWORD = 21
    # Branch 1: metallurgy
    PLACE_ANVIL = 22
    MAKE_BELLOWS = 23
    SMELT_IRON_BAR = 24
    COLLECT_COPPER = 25
    COLLECT_TIN = 26
    MAKE_STEEL_BAR = 27
    MAKE_BRONZE_BAR = 28
    FORGE_STEEL_PICKAXE = 29
    FORGE_BRONZE_PICKAXE = 30
    HARDEN_EDGE = 31
    FORGE_STEEL_SWORD = 32
    FORGE_BRONZE_SWORD = 33
    # Branch 2: glass and ceramics
    COLLECT_SAND = 34
    PLACE_KILN = 35
    SMELT_GLASS = 36
    COLLECT_CLAY = 37
    FIRE_BRICK = 38
    MAKE_GLASS_BOTTLE = 39
    MAKE_LENS = 40
    COLLECT_LIMESTONE = 41
    MAKE_LIME = 42
    MAKE_TELESCOPE = 43
    MAKE_MORTAR = 44
    PLACE_WINDOW = 45
    PLACE_WALL_MASONRY = 46
    # Branch 3: chemistry and alchemy
    PLACE_COMPOSTER = 47
    MAKE_TAR = 48
    MAKE_FERTILIZER = 49
    PLACE_ALCHEMY_BENCH = 50
    BREW_TONIC = 51
    BREW_STONE_SKIN = 52
    MAKE_FLUX = 53


# Fabrax blocks the player cannot walk through (Classic's solid set is kept for its blocks).
FABRAX_SOLID_BLOCKS = (
    BlockType.COPPER,
    BlockType.TIN,
    BlockType.LIMESTONE,
    BlockType.ANVIL,
    BlockType.KILN,
    BlockType.COMPOSTER,
    BlockType.ALCHEMY_BENCH,
    BlockType.WINDOW,
    BlockType.WALL_MASONRY,
)


def _classic_proxy() -> np.ndarray:
    """Per block id, the Classic block the released Classic step sees in its place.

    Solid Fabrax blocks look like an unripe PLANT (solid, inert to DO, never a placement
    target, never a spawn cell); CLAY looks like SAND (walkable and inert).
    """
    proxy = np.arange(len(BlockType), dtype=np.int32)
    for block in FABRAX_SOLID_BLOCKS:
        proxy[block.value] = BlockType.PLANT.value
    proxy[BlockType.CLAY.value] = BlockType.SAND.value
    return proxy


CLASSIC_PROXY = _classic_proxy()

# Blocks a station, window or wall may be placed on.
PLACEABLE_ON = (BlockType.GRASS, BlockType.SAND, BlockType.PATH)

# Mining the new resource blocks with DO: block -> (item, achievement, pickaxe tier needed).
# Tiers: 0 none, 1 wood, 2 stone (bronze and steel pickaxes count as stone or better).
MINEABLE = {
    BlockType.SAND: ("sand", Achievement.COLLECT_SAND, 0),
    BlockType.CLAY: ("clay", Achievement.COLLECT_CLAY, 0),
    BlockType.LIMESTONE: ("limestone", Achievement.COLLECT_LIMESTONE, 1),
    BlockType.COPPER: ("copper", Achievement.COLLECT_COPPER, 2),
    BlockType.TIN: ("tin", Achievement.COLLECT_TIN, 2),
}
MINED_BLOCK_BECOMES = BlockType.PATH

# Melee damage of the forged swords (Classic: bare 1, wood 2, stone 3, iron 5) and the
# bonus a hardened edge adds to every hit.
BRONZE_SWORD_DAMAGE = 4
STEEL_SWORD_DAMAGE = 6
HARDENED_EDGE_BONUS = 1

# World generation: chance that a cell of the given Classic block becomes the Fabrax block.
ORE_CHANCES = {
    BlockType.COPPER: (BlockType.STONE, 0.03),
    BlockType.TIN: (BlockType.STONE, 0.025),
    BlockType.LIMESTONE: (BlockType.STONE, 0.04),
    BlockType.CLAY: (BlockType.SAND, 0.25),
}
