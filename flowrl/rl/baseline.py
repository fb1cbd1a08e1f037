"""Plain PPO on the game's own reward, with flowrl's trainer: the baseline of a tree.

One network, one skill: a one-step plan whose step never completes and whose reward is
the game's (Craftax: each newly unlocked achievement times its weight, plus 0.1 x the
change of health). The trainer is :func:`flowrl.rl.trainer.train` with the same settings
as the tree's slots (the Craftax-baselines PPO defaults of :class:`TrainConfig`, the
tree's width and batch), early stopping off (there is no success to wait for) and the
final parameters kept.
"""

from __future__ import annotations

from typing import Any

from flowrl.envs.games import GameSpec
from flowrl.rl.config import TrainConfig
from flowrl.skills.plan_module import Plan, PlanStep, build_plan_module, load_plan

SKILL_NAME = "game_reward"

_SOURCE = '''"""The game's own reward; never done (the episode ends on death or timeout)."""

WEIGHTS = jnp.array({weights})


def task_is_done({is_done_args}):
    return jnp.logical_and(achievements[0], False)


def task_reward({reward_args}):
    unlocked = jnp.sum(achievements_diff.astype(jnp.float32) * WEIGHTS)
    return unlocked + 0.1 * player_intrinsics_diff[0]


def task_network_number():
    return 0
'''


def achievement_weights(game: GameSpec) -> list[float]:
    """Reward per newly unlocked achievement: 1 in Classic (and Fabrax), Craftax's tiered
    ``ACHIEVEMENT_REWARD_MAP`` in full Craftax."""
    if game.family == "classic":
        return [1.0] * game.num_achievements
    from craftax.craftax.constants import ACHIEVEMENT_REWARD_MAP

    return [float(w) for w in ACHIEVEMENT_REWARD_MAP]


def game_reward_source(game: GameSpec) -> str:
    """Skill source of the game's reward for ``game`` (runs through the skill checks)."""
    sig = game.signature
    return _SOURCE.format(
        weights=achievement_weights(game),
        is_done_args=", ".join(sig.is_done),
        reward_args=", ".join(sig.reward),
    )


def game_reward_plan(game: GameSpec) -> Plan:
    """The one-step plan the baseline trains: one expert on the game's reward."""
    source = build_plan_module([PlanStep(SKILL_NAME, game_reward_source(game))], game)
    return load_plan(source, game)


def baseline_config(config: TrainConfig, frames: int, seed: int) -> TrainConfig:
    """The tree's training settings for a run of ``frames`` frames: no success threshold
    to reach and no early stop (the plan never completes)."""
    return config.replace(
        total_timesteps=int(frames),
        seed=int(seed),
        success_threshold=1.0,
        early_stop_below=0.0,
        early_stop_patience=0,
        completion_bonus=0.0,
        death_penalty=0.0,  # plain PPO sees the game's reward only
        game_reward_weight=0.0,  # its plan's reward is the game's already
    )


def describe(config: TrainConfig) -> dict[str, Any]:
    """The settings a baseline row is about (for train.json and the docs)."""
    keys = ("total_timesteps", "seed", "num_envs", "num_steps", "width", "depth", "lr")
    return {key: getattr(config, key) for key in keys}
