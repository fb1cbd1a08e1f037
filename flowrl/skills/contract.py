"""The skill-code contract: what generated code may define, receive, and use.

A skill module is untrusted text that defines three functions:

* ``task_is_done(...) -> bool scalar``: has the skill reached its target count ``n``?
* ``task_reward(...) -> float scalar``: dense per-step reward for the skill.
* ``task_network_number() -> int``: the expert the skill prefers (the library may override).

Arguments are the symbolic features of the flow environment (see ``docs/skill_contract.md``).
Code may use ``jnp``, ``jax`` and the game's ``BlockType``, ``Achievement`` and ``Action``
enums, plus a few pure builtins, and nothing else.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any

UNSEEN_DISTANCE = 30
"""Offset value of ``closest_blocks`` entries for block types not visible (both coordinates)."""

IS_DONE = "task_is_done"
REWARD = "task_reward"
NETWORK_NUMBER = "task_network_number"
REQUIRED_FUNCTIONS = (IS_DONE, REWARD, NETWORK_NUMBER)


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

ALLOWED_MODULE_NAMES = ("jnp", "jax")
ENUM_NAMES = ("BlockType", "Achievement", "Action")

SAFE_BUILTIN_NAMES = (
    "abs",
    "all",
    "any",
    "bool",
    "enumerate",
    "float",
    "int",
    "len",
    "max",
    "min",
    "range",
    "reversed",
    "round",
    "sum",
    "tuple",
    "list",
    "zip",
    "True",
    "False",
    "None",
)

FORBIDDEN_NAMES = frozenset(
    {
        "eval",
        "exec",
        "compile",
        "open",
        "globals",
        "locals",
        "vars",
        "dir",
        "getattr",
        "setattr",
        "delattr",
        "hasattr",
        "input",
        "breakpoint",
        "help",
        "memoryview",
        "object",
        "type",
        "super",
        "classmethod",
        "staticmethod",
        "property",
        "print",
        "exit",
        "quit",
        "os",
        "sys",
        "subprocess",
        "shutil",
        "socket",
        "pathlib",
        "importlib",
        "builtins",
        "np",
        "numpy",
    }
)

FORBIDDEN_ATTRIBUTES = frozenset(
    {
        # I/O and host callbacks reachable from jnp/jax
        "load",
        "loadtxt",
        "save",
        "savez",
        "savez_compressed",
        "savetxt",
        "fromfile",
        "tofile",
        "genfromtxt",
        "memmap",
        "callback",
        "pure_callback",
        "io_callback",
        "debug",
        "config",
        "profiler",
        "experimental",
        "distributed",
        "extend",
        "interpreters",
        "lib",
        "monitoring",
        "device_put",
        "device_get",
        "block_until_ready",
        "clear_caches",
        "live_arrays",
        "ffi",
        "dlpack",
        "from_dlpack",
        "system",
        "popen",
        "remove",
        "unlink",
        "rmtree",
    }
)


def family_for(env_name: str) -> str:
    """Game family ("classic" or "craftax") whose signature applies to ``env_name``."""
    from flowrl.envs.games import get_game

    return get_game(env_name).family


def signature_for(env_name: str) -> Signature:
    """The skill-function signature for ``env_name``."""
    return SIGNATURES[family_for(env_name)]


def safe_builtins() -> dict[str, Any]:
    """The builtins skill code may see (pure functions only; no import machinery)."""
    table = {name: getattr(builtins, name) for name in SAFE_BUILTIN_NAMES if name[0].islower()}
    table.update({"True": True, "False": False, "None": None})
    return table


def skill_namespace(env_name: str) -> dict[str, Any]:
    """Fresh globals for executing skill code of ``env_name``: jnp, jax, enums, safe builtins."""
    import jax
    import jax.numpy as jnp

    from flowrl.envs.games import get_game

    constants = get_game(env_name).constants
    namespace: dict[str, Any] = {"__builtins__": safe_builtins(), "jnp": jnp, "jax": jax}
    for name in ENUM_NAMES:
        namespace[name] = getattr(constants, name)
    return namespace


def describe_signature(env_name: str) -> str:
    """Human/LLM readable stub of the required functions for ``env_name``."""
    sig = signature_for(env_name)
    return (
        f"def {IS_DONE}({', '.join(sig.is_done)}) -> bool\n"
        f"def {REWARD}({', '.join(sig.reward)}) -> float\n"
        f"def {NETWORK_NUMBER}() -> int"
    )
