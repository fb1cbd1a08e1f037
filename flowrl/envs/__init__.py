"""Flow environment over the released craftax package: games, features, plan steps, resets."""

from flowrl.envs.games import GAMES, GameSpec, get_game

__all__ = ["GAMES", "GameSpec", "get_game"]
