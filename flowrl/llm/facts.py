"""Compact, verifiable facts about a game for prompts: feature layout, enum names, the contract.

Everything here is read from the game's own code (enums, the inventory struct) or from
:mod:`flowrl.skills.contract`, so prompts never carry facts nobody checked.
"""

from __future__ import annotations

from flowrl.envs.games import get_game
from flowrl.skills import allowlist
from flowrl.skills.contract import ENUM_NAMES, UNSEEN_DISTANCE, describe_signature

_ARRAY_FIELDS = {"armour": "int[4]", "potions": "int[6]"}


def inventory_fields(env_name: str) -> tuple[str, ...]:
    """Field names of the game's inventory struct, with shapes for array fields."""
    return tuple(
        f"{n} ({_ARRAY_FIELDS[n]})" if n in _ARRAY_FIELDS else n
        for n in allowlist.inventory_fields(env_name)
    )


def enum_names(env_name: str, enum: str) -> list[str]:
    return [member.name for member in getattr(get_game(env_name).constants, enum)]


def intrinsic_names(env_name: str) -> list[str]:
    names = ["health", "food", "drink", "energy"]
    return [*names, "mana"] if get_game(env_name).has_levels else names


def features_text(env_name: str) -> str:
    """What each skill-function argument holds, in a few lines."""
    game = get_game(env_name)
    lines = [
        f"inventory / inventory_diff: struct with int fields {', '.join(inventory_fields(env_name))}; "
        "read as inventory.wood; the _diff is this step minus the previous step.",
        f"closest_blocks / closest_blocks_prev: int32[{game.num_block_types}, 2, K]: for block type b "
        "(index BlockType.X.value), the (row, col) offsets from the player of the K nearest visible "
        f"blocks, nearest first; {UNSEEN_DISTANCE} when not seen. Distance: jnp.abs(cb[b, :, 0]).sum().",
        f"player_intrinsics / player_intrinsics_diff: float32[{game.num_intrinsics}] = "
        f"[{', '.join(intrinsic_names(env_name))}].",
        f"achievements: bool[{game.num_achievements}], index Achievement.X.value; "
        "achievements_diff: unlocked at this step.",
    ]
    if game.has_levels:
        lines.append(
            "player_level (int, current floor) / player_level_diff; monsters_killed int[levels] "
            "per floor / monsters_killed_diff."
        )
    lines.append("health_penalty: float scalar; add it to the reward unchanged.")
    lines.append("n: the target count of the skill (int).")
    return "\n".join(f"- {line}" for line in lines)


def contract_text(env_name: str) -> str:
    """The skill-code contract as the LLM must follow it."""
    return (
        "Write exactly these three top-level functions (positional parameters in this order):\n"
        f"{describe_signature(env_name)}\n"
        "Rules: pure JAX on the arguments; no import statements; the names "
        f"{', '.join(allowlist.MODULE_NAMES)} and {', '.join(ENUM_NAMES)} are predefined; "
        "no Python if/while/for on array values (use jnp.where, jnp.logical_and, ...); "
        "task_is_done returns a scalar bool array, task_reward a scalar float, "
        "task_network_number a Python int (0 unless told otherwise); no printing, no I/O; "
        "never assign to attributes or to items of the arguments.\n"
        f"Only these may be used (anything else is refused): {allowlist.describe()}"
    )


def game_overview(env_name: str) -> str:
    """Block types and achievements of the game (names only)."""
    return (
        f"Game: {env_name}\n"
        f"BlockType: {', '.join(enum_names(env_name, 'BlockType'))}\n"
        f"Achievement: {', '.join(enum_names(env_name, 'Achievement'))}"
    )
