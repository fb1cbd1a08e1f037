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

from flowrl.envs.games import SIGNATURES, UNSEEN_DISTANCE, GameSpec, Signature

# re-exported: the contract documents them; each game carries its own (``GameSpec.signature``)
__all__ = ["SIGNATURES", "UNSEEN_DISTANCE", "Signature"]

IS_DONE = "task_is_done"
REWARD = "task_reward"
NETWORK_NUMBER = "task_network_number"
REQUIRED_FUNCTIONS = (IS_DONE, REWARD, NETWORK_NUMBER)

REWARD_LIMIT = 1e3
"""Per-step rewards must stay within +-this (a completed step is worth about 1): validation
refuses larger ones and the trainer names the step that pays them."""


ENUM_NAMES = ("BlockType", "Achievement", "Action", "Mob")
"""Enums skill code sees; ``Mob`` (flowrl's) numbers the mob rows of ``closest_blocks``."""

PREDEFINED_TEXT = f"jnp, jax, {', '.join(ENUM_NAMES[:-1])} and {ENUM_NAMES[-1]}"
"""The predefined names of skill code, as error messages spell them."""


def describe_signature(game: GameSpec) -> str:
    """Human/LLM readable stub of the required functions for ``game``."""
    sig = game.signature
    return (
        f"def {IS_DONE}({', '.join(sig.is_done)}) -> bool\n"
        f"def {REWARD}({', '.join(sig.reward)}) -> float\n"
        f"def {NETWORK_NUMBER}() -> int"
    )
