"""The batched flow env a training run steps: the plan's flow env, its resets, its horizon.

One place builds what :class:`flowrl.rl.ppo.PPO` runs on from a :class:`TrainConfig`:
the :class:`~flowrl.envs.flow_env.FlowEnv` of the plan, batched by
:class:`~flowrl.envs.resets.VecEnv` with the configured reset strategy, and the
success horizon the trainer's estimate uses.
"""

from __future__ import annotations

from typing import Any

from flowrl.envs.flow_env import FlowEnv
from flowrl.envs.frontier import FrontierVecEnv
from flowrl.envs.games import GameSpec
from flowrl.envs.resets import ResetConfig, VecEnv
from flowrl.rl.config import TrainConfig
from flowrl.skills.plan_check import check_step_outputs


def reset_config(config: TrainConfig) -> ResetConfig:
    """The reset strategy of ``config`` (pool, optimistic, naive or none)."""
    return ResetConfig(
        mode=config.reset_mode,
        reset_ratio=config.reset_ratio,
        pool_size=config.pool_size,
        refresh_every=config.refresh_every,
        refresh_size=config.refresh_size,
    )


def success_horizon(config: TrainConfig, episode_limit: int | None, plan_steps: int = 1) -> int:
    """Steps from an episode's start within which a plan of ``plan_steps`` steps must
    complete to count as a success: ``config.success_horizon`` (0: the episode limit), at
    least ``config.success_horizon_per_step`` per plan step, capped at the limit."""
    horizon = config.success_horizon or episode_limit or 0
    if config.success_horizon and config.success_horizon_per_step:
        horizon = max(horizon, config.success_horizon_per_step * int(plan_steps))
    if episode_limit:
        horizon = min(horizon, episode_limit)
    if horizon < 1:
        raise ValueError("success_horizon needs a positive value or an episode limit")
    return int(horizon)


def make_flow_env(
    config: TrainConfig,
    game: GameSpec,
    plan: Any,
    game_reward_experts: tuple[int, ...] | None = None,
) -> FlowEnv:
    """The single flow env of ``plan`` with the trainer's feature and episode settings
    (the game's reward, when weighted, paid to ``game_reward_experts``' tasks; None: all)."""
    return FlowEnv(
        game,
        plan,
        closest_k=config.closest_k,
        completion_bonus=config.completion_bonus,
        death_penalty=config.death_penalty,
        max_episode_steps=config.max_episode_steps,
        game_reward_weight=config.game_reward_weight,
        upkeep=config.upkeep,
        game_reward_experts=game_reward_experts,
    )


def frontier_step(plan: Any, learned: set[str] | frozenset[str] = frozenset()) -> int:
    """The plan step frontier starts restart at: the first step whose skill is not among
    the ``learned`` (warm-started) ones, else the last step; 0 means none (a fresh episode
    starts there anyway)."""
    for k, name in enumerate(plan.names):
        if name not in learned:
            return k
    return len(plan.names) - 1


def make_flow_vec_env(
    config: TrainConfig,
    game: GameSpec,
    plan: Any,
    frontier: int = 0,
    game_reward_experts: tuple[int, ...] | None = None,
) -> VecEnv | FrontierVecEnv:
    """The batched flow env a training run of ``plan`` uses; with ``frontier`` >= 1 and
    ``config.frontier_share`` > 0, finished episodes may restart at that plan step."""
    check_step_outputs(plan, game)  # a step broken at its own count, named
    flow = make_flow_env(config, game, plan, game_reward_experts)
    vec = VecEnv(flow, config.num_envs, reset_config(config))
    if frontier < 1 or config.frontier_share <= 0:
        return vec
    return FrontierVecEnv(vec, frontier, config.frontier_size, config.frontier_share)
