"""Registry of the games flowrl runs on and the facts each one needs (enums, cap, view,
skill-code signature, knowledge base).

Every game is registered here, explicitly (Craftax-Classic, Craftax, Fabrax); each
``make_env`` is a factory that imports its game's code only when an environment is made,
so the registry itself stays light (no JAX) and nothing registers itself on import.

A game's name is resolved once, where a command or a pipeline stage starts
(:func:`get_game`, or :func:`as_game` for entry points that take either); everything below
takes the :class:`GameSpec`. Files (json, checkpoints, config) keep the plain name.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import IntEnum
from functools import cached_property
from types import ModuleType
from typing import Any

UNSEEN_DISTANCE = 30
"""Offset value of ``closest_blocks`` entries for block types not visible (both coordinates)."""

MobGroups = tuple[tuple[str, tuple[str, ...]], ...]
"""Mob arrays of a game state and the kinds each holds: ``(state field, kinds)``; a field
with several kinds tells them apart by its ``type_id`` (the kind's index in the group)."""

CLASSIC_MOB_GROUPS: MobGroups = (
    ("zombies", ("ZOMBIE",)),
    ("cows", ("COW",)),
    ("skeletons", ("SKELETON",)),
)
"""Craftax-Classic (and Fabrax): one mob array per kind (arrows are projectiles, not mobs)."""

CRAFTAX_MOB_GROUPS: MobGroups = (
    ("passive_mobs", ("COW", "BAT", "SNAIL")),
    (
        "melee_mobs",
        ("ZOMBIE", "GNOME_WARRIOR", "ORC_SOLDIER", "LIZARD", "KNIGHT", "TROLL", "PIGMAN",
         "FROST_TROLL"),
    ),
    (
        "ranged_mobs",
        ("SKELETON", "GNOME_ARCHER", "ORC_MAGE", "KOBOLD", "ARCHER", "DEEP_THING",
         "FIRE_ELEMENTAL", "ICE_ELEMENTAL"),
    ),
)  # fmt: skip
"""Craftax: per-floor arrays by class, ``type_id`` order as in craftax's ``MOB_ACHIEVEMENT_MAP``."""


@dataclass(frozen=True)
class Signature:
    """Positional parameter names of the skill functions for one game family."""

    is_done: tuple[str, ...]
    reward: tuple[str, ...]


SIGNATURES: dict[str, Signature] = {
    "classic": Signature(
        is_done=(
            "inventory",
            "inventory_diff",
            "closest_blocks",
            "closest_blocks_prev",
            "player_intrinsics",
            "player_intrinsics_diff",
            "achievements",
            "n",
        ),
        reward=(
            "inventory_diff",
            "closest_blocks",
            "closest_blocks_prev",
            "player_intrinsics_diff",
            "achievements_diff",
            "health_penalty",
        ),
    ),
    "craftax": Signature(
        is_done=(
            "inventory",
            "inventory_diff",
            "closest_blocks",
            "closest_blocks_prev",
            "player_level",
            "monsters_killed",
            "player_intrinsics",
            "player_intrinsics_diff",
            "achievements",
            "n",
        ),
        reward=(
            "inventory_diff",
            "closest_blocks",
            "closest_blocks_prev",
            "player_level_diff",
            "monsters_killed_diff",
            "player_intrinsics_diff",
            "achievements_diff",
            "health_penalty",
        ),
    ),
}
"""The skill-code signature of each game family (the features the flow env hands to skill
code; :mod:`flowrl.skills.contract` documents them)."""


@dataclass(frozen=True)
class GameSpec:
    """Static facts about one game, and what is derived from them.

    ``family`` selects the skill-code signature (:attr:`signature`: "classic" for
    Craftax-Classic and Fabrax, "craftax" for full Craftax). ``knowledge_base`` is the
    folder of its knowledge base under ``flowrl/resources`` (None: the game has none).
    ``constants`` is the module holding the game's
    ``BlockType``, ``Achievement`` and ``Action`` enums. ``inventory_class`` names the
    game's inventory struct as ``"module:Class"``: its fields are what skill code may read
    from ``inventory`` (the skill-code allowlist and the prompts are generated from it).
    ``mob_groups`` names the state's mob arrays and their kinds; the nearest mobs of each
    kind follow the block types in ``closest_blocks`` (rows ``Mob.X.value``).
    """

    env_name: str
    family: str
    constants_module: str
    make_env: Callable[[], Any] = field(repr=False)
    inventory_cap: int
    obs_dim: tuple[int, int]
    inventory_class: str
    knowledge_base: str | None = None
    has_levels: bool = False
    mob_groups: MobGroups = ()

    @property
    def constants(self) -> ModuleType:
        return importlib.import_module(self.constants_module)

    @property
    def signature(self) -> Signature:
        """Positional parameters of the skill functions (the family's)."""
        return SIGNATURES[self.family]

    @cached_property
    def inventory_fields(self) -> tuple[str, ...]:
        """Field names of the inventory struct, read from the game's state class."""
        module_name, _, class_name = self.inventory_class.partition(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        return tuple(f.name for f in dataclasses.fields(cls))

    @property
    def num_block_types(self) -> int:
        return len(self.constants.BlockType)

    @property
    def mob_kinds(self) -> tuple[str, ...]:
        """Every mob kind, group after group."""
        return tuple(kind for _field, kinds in self.mob_groups for kind in kinds)

    @cached_property
    def mob_enum(self) -> type[IntEnum]:
        """``Mob``: one member per mob kind, valued as its row in ``closest_blocks``."""
        first = self.num_block_types
        return IntEnum("Mob", {name: first + i for i, name in enumerate(self.mob_kinds)})  # type: ignore[return-value]  # the functional Enum API returns a class, mypy reads an instance

    @property
    def num_feature_rows(self) -> int:
        """Rows of ``closest_blocks``: every block type, then every mob kind."""
        return self.num_block_types + len(self.mob_kinds)

    def enum(self, name: str) -> Any:
        """The skill-code enum ``name``: ``Mob`` is flowrl's, the others the game's own."""
        return self.mob_enum if name == "Mob" else getattr(self.constants, name)

    @property
    def num_achievements(self) -> int:
        return len(self.constants.Achievement)

    @property
    def num_actions(self) -> int:
        return len(self.constants.Action)

    @property
    def num_intrinsics(self) -> int:
        return 5 if self.has_levels else 4


def _craftax_env(name: str) -> Callable[[], Any]:
    def make() -> Any:
        # deliberately lazy: craftax pulls in JAX; the registry is read by light code
        from craftax.craftax_env import make_craftax_env_from_name

        return make_craftax_env_from_name(name, auto_reset=False)

    return make


def _fabrax_env() -> Any:
    # deliberately lazy, as above; flowrl.envs.fabrax is our own game on top of Classic
    from flowrl.envs.fabrax.env import make_env

    return make_env()


GAMES: dict[str, GameSpec] = {}


def register_game(spec: GameSpec) -> GameSpec:
    """Add a game to the registry (the built-in games below; other games may add theirs)."""
    GAMES[spec.env_name] = spec
    return spec


register_game(
    GameSpec(
        env_name="Craftax-Classic-Symbolic-v1",
        family="classic",
        constants_module="craftax.craftax_classic.constants",
        make_env=_craftax_env("Craftax-Classic-Symbolic-v1"),
        inventory_cap=9,
        obs_dim=(7, 9),
        inventory_class="craftax.craftax_classic.envs.craftax_state:Inventory",
        knowledge_base="craftax_classic",
        mob_groups=CLASSIC_MOB_GROUPS,
    )
)
register_game(
    GameSpec(
        env_name="Craftax-Symbolic-v1",
        family="craftax",
        constants_module="craftax.craftax.constants",
        make_env=_craftax_env("Craftax-Symbolic-v1"),
        inventory_cap=99,
        obs_dim=(9, 11),
        inventory_class="craftax.craftax.craftax_state:Inventory",
        knowledge_base="craftax",
        mob_groups=CRAFTAX_MOB_GROUPS,
        has_levels=True,
    )
)
register_game(
    GameSpec(
        env_name="Fabrax-Symbolic-v1",
        family="classic",  # Classic's skill-code signature (docs/fabrax.md)
        constants_module="flowrl.envs.fabrax.constants",
        make_env=_fabrax_env,
        inventory_cap=9,  # flowrl.envs.fabrax.constants.INVENTORY_CAP (a test checks)
        obs_dim=(7, 9),  # flowrl.envs.fabrax.constants.OBS_DIM
        inventory_class="flowrl.envs.fabrax.state:FabraxInventory",
        knowledge_base="fabrax",  # its own: Classic's blocks and skills, and more
        mob_groups=CLASSIC_MOB_GROUPS,  # Classic's mob arrays, unchanged
    )
)


def get_game(env_name: str) -> GameSpec:
    """Return the spec of ``env_name`` or raise a ValueError listing the known names."""
    if env_name not in GAMES:
        known = ", ".join(sorted(GAMES))
        raise ValueError(f"unknown env_name {env_name!r}; choose one of: {known}")
    return GAMES[env_name]


def as_game(game: GameSpec | str) -> GameSpec:
    """``game`` itself, or the spec a name stands for: for entry points that take either."""
    return game if isinstance(game, GameSpec) else get_game(game)
