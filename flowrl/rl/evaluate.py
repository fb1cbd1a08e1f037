"""Evaluate a checkpoint: N fresh episodes of its plan, greedy and sampled.

Reports plan success rate, per-step reach/completion rates, achievement rates (in %, the
paper's form) and episode length, and can render one successful episode as a GIF. Each
episode's randomness is derived from its own key and the step number only, so an episode
can be replayed alone (for rendering) exactly as it ran in the batch.
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
from flowrl.rl.checkpoint import load_checkpoint, load_plan_source
from flowrl.rl.networks import ExpertActorCritic, resolve_routing
from flowrl.rl.success import wilson_interval
from flowrl.skills.plan_module import load_plan

POLICIES = ("greedy", "sampled")
RESET_SALT = 2**31 - 1  # fold_in index of the reset key (steps use 0, 1, ...)
NO_PLAY_ON = False  # make_rollout's default: the plan's completion ends an episode


def rollout_routing(routing: str, num_experts: int) -> str:
    """The routing a rollout uses: each env is its own vmapped lane (a batch of one), and
    ``ragged`` (auto's choice above 8 experts) cannot be vmapped, so such checkpoints roll
    out with ``gather`` (the same parameters and function, the expert's weights picked)."""
    resolved = resolve_routing(routing, num_experts)
    return "gather" if resolved == "ragged" else resolved


def load_policy(checkpoint: str | Path, max_episode_steps: int | None = None):
    """(env, network, params, metadata) of a checkpoint, ready to roll out."""
    params, meta = load_checkpoint(checkpoint)
    env_name = meta["env_name"]
    plan = load_plan(load_plan_source(checkpoint), env_name)
    cfg = meta.get("config", {})
    env = FlowEnv(
        env_name,
        plan,  # type: ignore[arg-type]  # the frozen plan_module.Plan vs the flow_env.Plan protocol's settable fields
        closest_k=cfg.get("closest_k", 5),
        completion_bonus=cfg.get("completion_bonus", 1.0),
        max_episode_steps=max_episode_steps or cfg.get("max_episode_steps"),
    )
    net = meta["network"]
    network = ExpertActorCritic(
        num_experts=net["num_experts"],
        num_actions=net["num_actions"],
        width=net["width"],
        depth=net["depth"],
        activation=net["activation"],
        routing=rollout_routing(net.get("routing", "auto"), net["num_experts"]),
    )
    return env, network, params, meta


def _policy_step(env: FlowEnv, network, params, greedy: bool | jax.Array):
    """One step of one env: (key, t, obs, state) -> (obs, state, done, info)."""

    def step(key: jax.Array, t: jax.Array, obs: jax.Array, state: Any):
        act_key, env_key = jax.random.split(jax.random.fold_in(key, t))
        expert = env.expert_index(state.player_state)[None]
        logits = network.apply(params, obs[None], expert, method="policy")
        sampled = jax.random.categorical(act_key, logits[0])
        action = jnp.where(greedy, jnp.argmax(logits[0]), sampled)
        obs, state, _, done, info = env.step(env_key, state, action)
        return obs, state, done, info

    return step


def make_rollout(env: FlowEnv, network, num_episodes: int):
    """Jitted ``(params, keys, greedy, play_on) -> per-episode results``: one compile for
    both policies and both episode ends (``play_on``: an episode ends on death or timeout
    only, playing on past its plan's completion; else the plan's completion ends it too)."""
    max_steps = int(env.default_params.max_timesteps) + 1
    n = num_episodes
    num_ach = env.game.num_achievements

    @jax.jit
    def rollout(
        params: Any, keys: jax.Array, greedy: jax.Array, play_on: jax.Array | bool = NO_PLAY_ON
    ) -> dict[str, jax.Array]:
        policy = _policy_step(env, network, params, greedy)
        step = jax.vmap(policy, in_axes=(0, None, 0, 0))
        reset_keys = jax.vmap(lambda k: jax.random.fold_in(k, RESET_SALT))(keys)
        obs, state = jax.vmap(env.reset)(reset_keys)
        out = {
            "done": jnp.zeros(n, bool),
            "success": jnp.zeros(n, bool),
            "final_step": jnp.zeros(n, jnp.int32),
            "length": jnp.zeros(n, jnp.int32),
            "return": jnp.zeros(n, jnp.float32),
            "achievements": jnp.zeros((n, num_ach), bool),
        }

        def cond(carry):
            t, _, _, out = carry
            return jnp.logical_and(t < max_steps, ~out["done"].all())

        def body(carry):
            t, obs, state, out = carry
            new_obs, new_state, done, info = step(keys, t, obs, state)
            done = jnp.where(play_on, info["game_over"], done)
            live = ~out["done"]
            ended = live & done
            pick = lambda new, old: jnp.where(  # noqa: E731
                live.reshape(live.shape + (1,) * (new.ndim - 1)), new, old
            )
            out = {
                "done": out["done"] | done,
                "success": out["success"] | (ended & info["plan_complete"]),
                "final_step": pick(info["player_state"], out["final_step"]),
                "length": pick(info["episode_length"], out["length"]),
                "return": pick(info["episode_return"], out["return"]),
                "achievements": pick(info["achievements"], out["achievements"]),
            }
            obs = jax.tree.map(pick, new_obs, obs)
            state = jax.tree.map(pick, new_state, state)
            return t + 1, obs, state, out

        _, _, _, out = jax.lax.while_loop(cond, body, (jnp.zeros((), jnp.int32), obs, state, out))
        return out

    return rollout


def run_episodes(env: FlowEnv, network, params, keys: jax.Array, greedy: bool) -> dict[str, Any]:
    """Run one episode per key (vmapped, until every episode ended); per-episode results."""
    rollout = make_rollout(env, network, keys.shape[0])
    return jax.device_get(rollout(params, keys, jnp.asarray(greedy)))


def summarize(env: FlowEnv, episodes: dict[str, Any], horizon: int | None = None) -> dict[str, Any]:
    """Rates (%) and means over a batch of episodes; with ``horizon``, also the success
    within that many steps (the trainer's estimate) and its 95% Wilson interval."""
    final = np.asarray(episodes["final_step"])
    names = [a.name.lower() for a in env.game.constants.Achievement]
    ach = np.asarray(episodes["achievements"]).mean(axis=0) * 100.0
    steps = [
        {
            "step": k,
            "name": name,
            "count": int(env.plan.counts[k]) if k < len(env.plan.counts) else 1,  # type: ignore[attr-defined]  # flow_env.Plan protocol names only what FlowEnv uses
            "reached_pct": float((final >= k).mean() * 100.0),
            "completed_pct": float((final >= k + 1).mean() * 100.0),
        }
        for k, name in enumerate(env.plan.names)  # type: ignore[attr-defined]  # flow_env.Plan protocol names only what FlowEnv uses
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
        from flowrl.rl.rollout_media import write_success_gif

        result["gif"] = write_success_gif(
            env, network, params, keys, episodes, Path(gif_path), gif_max_frames
        )
    if out_json is not None:
        Path(out_json).parent.mkdir(parents=True, exist_ok=True)
        Path(out_json).write_text(json.dumps(result, indent=2))
    return result
