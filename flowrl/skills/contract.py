"""The skill-code contract: what generated code may define, receive, and use.

A skill module is untrusted text that defines three functions:

* ``task_is_done(...) -> bool scalar``: has the skill reached its target count ``n``?
* ``task_reward(...) -> float scalar``: dense per-step reward for the skill.
* ``task_network_number() -> int``: the expert the skill prefers (a hint: the planner
  numbers a plan's experts itself).

Arguments are the symbolic features of the flow environment (see ``docs/skill_contract.md``).
What the code may name is the allowlist in :mod:`flowrl.skills.allowlist`.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowrl.envs.games import UNSEEN_DISTANCE, get_game

__all__ = ["UNSEEN_DISTANCE"]  # re-exported: the contract documents it

IS_DONE = "task_is_done"
REWARD = "task_reward"
NETWORK_NUMBER = "task_network_number"
REQUIRED_FUNCTIONS = (IS_DONE, REWARD, NETWORK_NUMBER)

REWARD_LIMIT = 1e3
"""Per-step rewards must stay within +-this (a completed step is worth about 1): validation
refuses larger ones and the trainer names the step that pays them."""


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

ENUM_NAMES = ("BlockType", "Achievement", "Action", "Mob")
"""Enums skill code sees; ``Mob`` (flowrl's) numbers the mob rows of ``closest_blocks``."""

PREDEFINED_TEXT = f"jnp, jax, {', '.join(ENUM_NAMES[:-1])} and {ENUM_NAMES[-1]}"
"""The predefined names of skill code, as error messages spell them."""


def family_for(env_name: str) -> str:
    """Game family ("classic" or "craftax") whose signature applies to ``env_name``."""
    return get_game(env_name).family


def signature_for(env_name: str) -> Signature:
    """The skill-function signature for ``env_name``."""
    return SIGNATURES[family_for(env_name)]


def describe_signature(env_name: str) -> str:
    """Human/LLM readable stub of the required functions for ``env_name``."""
    sig = signature_for(env_name)
    return (
        f"def {IS_DONE}({', '.join(sig.is_done)}) -> bool\n"
        f"def {REWARD}({', '.join(sig.reward)}) -> float\n"
        f"def {NETWORK_NUMBER}() -> int"
    )
