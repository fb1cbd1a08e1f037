"""Evaluate a checkpoint: N fresh episodes of its plan, greedy and sampled.

Reports plan success rate, per-step reach/completion rates, achievement rates (in %, the
paper's form) and episode length, and can render one successful episode as a GIF. The
episodes come from :mod:`flowrl.rl.rollout` (replayable one by one for rendering).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from flowrl.envs.flow_env import FlowEnv
from flowrl.rl.achievements import ACHIEVEMENT_POLICY, achievement_summary
from flowrl.rl.rollout import load_policy, make_rollout
from flowrl.rl.rollout_media import write_success_gif
from flowrl.rl.success import wilson_interval

POLICIES = ("greedy", "sampled")


def summarize(env: FlowEnv, episodes: dict[str, Any], horizon: int | None = None) -> dict[str, Any]:
    """Rates (%) and means over a batch of episodes; with ``horizon``, also the success
    within that many steps (the trainer's estimate) and its 95% Wilson interval."""
    final = np.asarray(episodes["final_step"])
    died = np.asarray(episodes["died"]) & ~np.asarray(episodes["success"])
    names = [a.name.lower() for a in env.game.constants.Achievement]
    ach = np.asarray(episodes["achievements"]).mean(axis=0) * 100.0
    steps = [
        {
            "step": k,
            "name": name,
            "count": int(env.plan.counts[k]) if k < len(env.plan.counts) else 1,
            "reached_pct": float((final >= k).mean() * 100.0),
            "completed_pct": float((final >= k + 1).mean() * 100.0),
            "died_pct": float(((final == k) & died).mean() * 100.0),  # died on this step
        }
        for k, name in enumerate(env.plan.names)
    ]
    within = {}
    if horizon is not None:
        hits = np.asarray(episodes["success"]) & (np.asarray(episodes["length"]) <= horizon)
        k, n = int(hits.sum()), int(hits.shape[0])
        within = {
            "success_horizon": int(horizon),
            "success_within_horizon": k / n if n else None,
            "success_interval": list(wilson_interval(k, n)) if n else None,
        }
    return {
        "episodes": int(final.shape[0]),
        **within,
        "success_rate": float(np.mean(episodes["success"])),
        "success_pct": float(np.mean(episodes["success"]) * 100.0),
        "steps": steps,
        "achievements_pct": {name: float(v) for name, v in zip(names, ach, strict=True)},
        "episode_length_mean": float(np.mean(episodes["length"])),
        "episode_length_std": float(np.std(episodes["length"])),
        "episode_return_mean": float(np.mean(episodes["return"])),
        "unfinished": int((~np.asarray(episodes["done"])).sum()),
        "died_pct": float(died.mean() * 100.0),  # ended by death before the plan's end
        # ... of which with food, drink or energy empty (starved, not killed)
        "starved_pct": float((died & np.asarray(episodes["starved"])).mean() * 100.0),
    }


def full_episode_achievements(env: FlowEnv, rollout, params: Any, keys: jax.Array) -> dict:
    """Achievement success (%) and Crafter score over one episode per key, each played on
    past the plan's completion until death or the episode limit (sampled actions)."""
    greedy = jnp.asarray(ACHIEVEMENT_POLICY == "greedy")
    episodes = jax.device_get(rollout(params, keys, greedy, jnp.asarray(True)))
    names = [a.name.lower() for a in env.game.constants.Achievement]
    horizon = int(env.default_params.max_timesteps)
    return achievement_summary(
        names, np.asarray(episodes["achievements"]), horizon, np.asarray(episodes["length"])
    )


def evaluate(
    checkpoint: str | Path,
    num_episodes: int = 64,
    seed: int = 0,
    max_episode_steps: int | None = None,
    out_json: str | Path | None = None,
    gif_path: str | Path | None = None,
    gif_max_frames: int = 400,
    achievements: bool = True,
) -> dict[str, Any]:
    """Evaluate ``checkpoint`` greedily and sampled; optionally write eval.json and a GIF.

    With ``achievements``, ``result["achievements"]`` holds per-achievement success (%)
    and the Crafter score over the same number of fresh episodes played to death or the
    episode limit (the plan's completion does not end them), sampled policy."""
    env, network, params, meta = load_policy(checkpoint, max_episode_steps)
    keys = jax.random.split(jax.random.PRNGKey(seed), num_episodes)
    result: dict[str, Any] = {
        "checkpoint": str(checkpoint),
        "env_name": meta["env_name"],
        "plan": list(env.plan.names),
        "seed": seed,
        "num_episodes": num_episodes,
        "max_episode_steps": int(env.default_params.max_timesteps),
        "train_success_rate": meta.get("success_rate"),
        "train_success_interval": meta.get("success_interval"),
        # the policy the trainer's verdict (and acceptance) is about; both are reported
        "acceptance_policy": meta.get("success_policy", "sampled"),
    }
    horizon = min(int(meta.get("success_horizon") or 10**9), result["max_episode_steps"])
    episodes = {}
    rollout = make_rollout(env, network, num_episodes)
    for policy in POLICIES:
        greedy = jnp.asarray(policy == "greedy")
        episodes[policy] = jax.device_get(rollout(params, keys, greedy, jnp.asarray(False)))
        result[policy] = summarize(env, episodes[policy], horizon)
    if achievements:  # the same compiled rollout, played on
        result["achievements"] = full_episode_achievements(env, rollout, params, keys)
    if gif_path is not None:
        result["gif"] = write_success_gif(
            env, network, params, keys, episodes, Path(gif_path), gif_max_frames
        )
    if out_json is not None:
        Path(out_json).parent.mkdir(parents=True, exist_ok=True)
        Path(out_json).write_text(json.dumps(result, indent=2))
    return result
