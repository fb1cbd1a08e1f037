"""Fabrax: Craftax-Classic plus metallurgy, glass and ceramics, and chemistry branches.

The game is registered as ``Fabrax-Symbolic-v1`` in :mod:`flowrl.envs.games` (whose factory
imports :mod:`.env`); this package only re-exports it. See ``docs/fabrax.md`` for the rules.
"""

from __future__ import annotations

from flowrl.envs.fabrax.constants import Achievement, Action, BlockType
from flowrl.envs.fabrax.env import ENV_NAME, FabraxSymbolicEnvNoAutoReset, make_env
from flowrl.envs.games import get_game

GAME = get_game(ENV_NAME)

__all__ = [
    "ENV_NAME",
    "GAME",
    "Achievement",
    "Action",
    "BlockType",
    "FabraxSymbolicEnvNoAutoReset",
    "make_env",
]
