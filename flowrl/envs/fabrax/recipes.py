"""The Fabrax recipe table (one action per recipe) and its array form for the step.

A recipe consumes ``cost``, adds ``gain`` to the inventory, needs every station in
``stations`` within the 8 cells around the player, needs every item of ``needs`` (kept, not
consumed) and at least one item of ``needs_any``; a placing recipe puts ``places`` on the
faced cell, which must be grass, sand or path with no mob. Success sets ``achievement``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from flowrl.envs.fabrax.constants import Achievement, Action, BlockType
from flowrl.envs.fabrax.state import INVENTORY_FIELDS, ITEM_INDEX

# Station kinds a recipe may need nearby, as blocks (water counts for quenching).
STATIONS: dict[str, BlockType] = {
    "table": BlockType.CRAFTING_TABLE,
    "furnace": BlockType.FURNACE,
    "anvil": BlockType.ANVIL,
    "kiln": BlockType.KILN,
    "composter": BlockType.COMPOSTER,
    "alchemy_bench": BlockType.ALCHEMY_BENCH,
    "water": BlockType.WATER,
}


@dataclass(frozen=True)
class Recipe:
    action: Action
    achievement: Achievement
    cost: dict[str, int] = field(default_factory=dict)
    gain: dict[str, int] = field(default_factory=dict)
    stations: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    needs_any: tuple[str, ...] = ()
    places: BlockType | None = None
    hardens_edge: bool = False


A, K = Action, Achievement
RECIPES: tuple[Recipe, ...] = (
    # metallurgy
    Recipe(A.PLACE_ANVIL, K.PLACE_ANVIL, {"stone": 2}, places=BlockType.ANVIL),
    Recipe(A.MAKE_BELLOWS, K.MAKE_BELLOWS, {"wood": 1, "leather": 1}, {"bellows": 1}, ("table",)),
    Recipe(
        A.SMELT_IRON_BAR, K.SMELT_IRON_BAR, {"iron": 1, "coal": 1}, {"iron_bar": 1}, ("furnace",)
    ),
    Recipe(
        A.MAKE_STEEL_BAR,
        K.MAKE_STEEL_BAR,
        {"iron_bar": 1, "coal": 1},
        {"steel_bar": 1},
        ("furnace",),
        needs=("bellows",),
    ),
    Recipe(
        A.MAKE_BRONZE_BAR,
        K.MAKE_BRONZE_BAR,
        {"copper": 1, "tin": 1, "coal": 1},
        {"bronze_bar": 1},
        ("furnace",),
    ),
    Recipe(
        A.FORGE_STEEL_PICKAXE,
        K.FORGE_STEEL_PICKAXE,
        {"wood": 1, "stone": 1, "steel_bar": 1},
        {"steel_pickaxe": 1},
        ("anvil", "table"),
    ),
    Recipe(
        A.FORGE_BRONZE_PICKAXE,
        K.FORGE_BRONZE_PICKAXE,
        {"wood": 1, "stone": 1, "bronze_bar": 1},
        {"bronze_pickaxe": 1},
        ("anvil", "table"),
    ),
    Recipe(
        A.FORGE_STEEL_SWORD,
        K.FORGE_STEEL_SWORD,
        {"wood": 1, "steel_bar": 1},
        {"steel_sword": 1},
        ("anvil", "table"),
    ),
    Recipe(
        A.FORGE_BRONZE_SWORD,
        K.FORGE_BRONZE_SWORD,
        {"wood": 1, "bronze_bar": 1},
        {"bronze_sword": 1},
        ("anvil", "table"),
    ),
    Recipe(
        A.HARDEN_EDGE,
        K.HARDEN_EDGE,
        stations=("water",),
        needs_any=("steel_pickaxe", "bronze_pickaxe"),
        hardens_edge=True,
    ),
    # glass and ceramics
    Recipe(A.PLACE_KILN, K.PLACE_KILN, {"stone": 1}, places=BlockType.KILN),
    Recipe(A.SMELT_GLASS, K.SMELT_GLASS, {"sand": 1, "coal": 1}, {"glass": 1}, ("kiln",)),
    Recipe(A.FIRE_BRICK, K.FIRE_BRICK, {"clay": 1, "coal": 1}, {"brick": 1}, ("kiln",)),
    Recipe(A.MAKE_GLASS_BOTTLE, K.MAKE_GLASS_BOTTLE, {"glass": 1}, {"bottle": 1}, ("kiln",)),
    Recipe(A.MAKE_LENS, K.MAKE_LENS, {"glass": 1}, {"lens": 1}, ("kiln", "table")),
    Recipe(
        A.MAKE_TELESCOPE, K.MAKE_TELESCOPE, {"lens": 1, "wood": 1}, {"telescope": 1}, ("table",)
    ),
    Recipe(A.MAKE_LIME, K.MAKE_LIME, {"limestone": 1, "coal": 1}, {"lime": 1}, ("kiln",)),
    Recipe(A.MAKE_MORTAR, K.MAKE_MORTAR, {"lime": 1, "sand": 1}, {"mortar": 1}, ("table",)),
    Recipe(A.PLACE_WINDOW, K.PLACE_WINDOW, {"glass": 1}, places=BlockType.WINDOW),
    Recipe(
        A.PLACE_WALL_MASONRY, K.PLACE_WALL_MASONRY, {"mortar": 1}, places=BlockType.WALL_MASONRY
    ),
    # chemistry and alchemy
    Recipe(A.PLACE_COMPOSTER, K.PLACE_COMPOSTER, {"wood": 1}, places=BlockType.COMPOSTER),
    Recipe(A.MAKE_TAR, K.MAKE_TAR, {"wood": 1}, {"tar": 1}, ("kiln",)),
    Recipe(
        A.MAKE_FERTILIZER,
        K.MAKE_FERTILIZER,
        {"sapling": 1, "tar": 1},
        {"fertilizer": 1},
        ("composter",),
    ),
    Recipe(
        A.PLACE_ALCHEMY_BENCH, K.PLACE_ALCHEMY_BENCH, {"stone": 1}, places=BlockType.ALCHEMY_BENCH
    ),
    Recipe(
        A.BREW_TONIC,
        K.BREW_TONIC,
        {"bottle": 1, "sapling": 1},
        {"tonic_basic": 1},
        ("alchemy_bench",),
    ),
    Recipe(
        A.BREW_STONE_SKIN,
        K.BREW_STONE_SKIN,
        {"bottle": 1, "tar": 1},
        {"tonic_stoneskin": 1},
        ("alchemy_bench",),
    ),
    Recipe(A.MAKE_FLUX, K.MAKE_FLUX, {"lime": 1, "tar": 1}, {"flux": 1}, ("alchemy_bench",)),
)
del A, K

FIRST_FABRAX_ACTION = min(r.action.value for r in RECIPES)
RECIPE_BY_ACTION: dict[Action, Recipe] = {r.action: r for r in RECIPES}


@dataclass(frozen=True)
class RecipeArrays:
    """The recipe table as arrays indexed by ``action - FIRST_FABRAX_ACTION``."""

    cost: np.ndarray  # (R, items) int32
    delta: np.ndarray  # (R, items) int32, gain - cost
    stations: np.ndarray  # (R, stations) bool
    needs: np.ndarray  # (R, items) bool
    needs_any: np.ndarray  # (R, items) bool
    has_needs_any: np.ndarray  # (R,) bool
    places: np.ndarray  # (R,) int32, 0 when the recipe places nothing
    achievement: np.ndarray  # (R,) int32
    hardens_edge: np.ndarray  # (R,) bool
    station_blocks: np.ndarray  # (stations,) int32


def recipe_arrays() -> RecipeArrays:
    rows = len(RECIPES)
    assert sorted(r.action.value for r in RECIPES) == list(
        range(FIRST_FABRAX_ACTION, FIRST_FABRAX_ACTION + rows)
    ), "one recipe per Fabrax action"
    items, station_names = len(INVENTORY_FIELDS), list(STATIONS)
    cost = np.zeros((rows, items), np.int32)
    gain = np.zeros((rows, items), np.int32)
    stations = np.zeros((rows, len(station_names)), bool)
    needs = np.zeros((rows, items), bool)
    needs_any = np.zeros((rows, items), bool)
    places = np.zeros(rows, np.int32)
    achievement = np.zeros(rows, np.int32)
    hardens = np.zeros(rows, bool)
    for recipe in RECIPES:
        i = recipe.action.value - FIRST_FABRAX_ACTION
        for name, amount in recipe.cost.items():
            cost[i, ITEM_INDEX[name]] = amount
        for name, amount in recipe.gain.items():
            gain[i, ITEM_INDEX[name]] = amount
        for name in recipe.stations:
            stations[i, station_names.index(name)] = True
        for name in recipe.needs:
            needs[i, ITEM_INDEX[name]] = True
        for name in recipe.needs_any:
            needs_any[i, ITEM_INDEX[name]] = True
        places[i] = 0 if recipe.places is None else recipe.places.value
        achievement[i] = recipe.achievement.value
        hardens[i] = recipe.hardens_edge
    return RecipeArrays(
        cost=cost,
        delta=gain - cost,
        stations=stations,
        needs=needs,
        needs_any=needs_any,
        has_needs_any=needs_any.any(axis=1),  # type: ignore[arg-type]  # numpy stubs type any(axis=1) as a scalar or array
        places=places,
        achievement=achievement,
        hardens_edge=hardens,
        station_blocks=np.array([STATIONS[n].value for n in station_names], np.int32),
    )


def _amounts(amounts: dict[str, int]) -> str:
    return ", ".join(f"{n} {a}" for n, a in amounts.items()) or "-"


def recipe_table_markdown() -> str:
    """The recipe table as Markdown (docs/fabrax.md embeds it; a test keeps them equal)."""
    lines = [
        "| action (id) | achievement (id) | consumes | produces | stations nearby | needs |",
        "|---|---|---|---|---|---|",
    ]
    for r in RECIPES:
        produces = _amounts(r.gain)
        if r.places is not None:
            produces = f"places {r.places.name}"
        if r.hardens_edge:
            produces = "hardened edge"
        needs = ", ".join(r.needs) + (" or ".join(r.needs_any) if r.needs_any else "")
        lines.append(
            f"| {r.action.name} ({r.action.value}) | {r.achievement.name} ({r.achievement.value})"
            f" | {_amounts(r.cost)} | {produces} | {', '.join(r.stations) or '-'} | {needs or '-'} |"
        )
    return "\n".join(lines)
