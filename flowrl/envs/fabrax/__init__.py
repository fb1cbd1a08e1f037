"""Fabrax: Craftax-Classic plus metallurgy, glass and ceramics, and chemistry branches.

Importing this package registers ``Fabrax-Symbolic-v1`` with :mod:`flowrl.envs.games`.
See ``docs/fabrax.md`` for the rules.
"""

from __future__ import annotations

from flowrl.envs.fabrax.constants import INVENTORY_CAP, OBS_DIM, Achievement, Action, BlockType
from flowrl.envs.fabrax.env import ENV_NAME, FabraxSymbolicEnvNoAutoReset, make_env
from flowrl.envs.games import GameSpec, register_game

GAME = register_game(
    GameSpec(
        env_name=ENV_NAME,
        family="classic",
        constants_module="flowrl.envs.fabrax.constants",
        make_env=make_env,
        inventory_cap=INVENTORY_CAP,
        obs_dim=OBS_DIM,
        inventory_class="flowrl.envs.fabrax.state:FabraxInventory",
    )
)

__all__ = [
    "ENV_NAME",
    "GAME",
    "Achievement",
    "Action",
    "BlockType",
    "FabraxSymbolicEnvNoAutoReset",
    "make_env",
]
