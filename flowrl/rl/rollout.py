"""Episodes of a trained policy, one env per vmapped lane: the shared rollout machinery.

:func:`load_policy` turns a checkpoint into (env, network, params, metadata);
:func:`policy_step` is one step of one env; :func:`make_rollout` runs a batch of fresh
episodes to their end; :func:`replay` re-runs one of them alone, frame by frame. Each
episode's randomness comes from its own key and the step number only (the reset from
``fold_in(key, RESET_SALT)``), so an episode replays alone exactly as it ran in a batch.
:mod:`flowrl.rl.evaluate` and :mod:`flowrl.rl.rollout_media` both build on this module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from flowrl.envs.flow_env import FlowEnv
from flowrl.envs.games import get_game
from flowrl.rl.checkpoint import load_checkpoint, load_plan_source
from flowrl.rl.networks import ExpertActorCritic, resolve_routing
from flowrl.skills.plan_module import load_plan

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
    game = get_game(meta["env_name"])  # the checkpoint names its game
    plan = load_plan(load_plan_source(checkpoint), game)
    cfg = meta.get("config", {})
    env = FlowEnv(
        game,
        plan,
        closest_k=cfg.get("closest_k", 5),
        completion_bonus=cfg.get("completion_bonus", 1.0),
        death_penalty=cfg.get("death_penalty", 0.0),  # older checkpoints trained without
        game_reward_weight=cfg.get("game_reward_weight", 0.0),
        upkeep=cfg.get("upkeep", True),
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


def policy_step(env: FlowEnv, network, params, greedy: bool | jax.Array):
    """One step of one env: ``(key, t, obs, state) -> (obs, state, done, info)``."""

    def step(key: jax.Array, t: jax.Array, obs: jax.Array, state: Any):
        act_key, env_key = jax.random.split(jax.random.fold_in(key, t))
        expert = env.expert_of(state)[None]
        logits = network.apply(params, obs[None], expert, method="policy")
        sampled = jax.random.categorical(act_key, logits[0])
        action = jnp.where(greedy, jnp.argmax(logits[0]), sampled)
        obs, state, _, done, info = env.step(env_key, state, action)
        return obs, state, done, info

    return step


def reset_episode(env: FlowEnv, key: jax.Array) -> tuple[jax.Array, Any]:
    """The fresh start of the episode of ``key`` (the same in a batch and in a replay)."""
    return env.reset(jax.random.fold_in(key, RESET_SALT))


def keep_live(live: jax.Array, new: jax.Array, old: jax.Array) -> jax.Array:
    """``new`` for the batch's episodes still ``live``, ``old`` for the ended ones."""
    return jnp.where(live.reshape(live.shape + (1,) * (new.ndim - 1)), new, old)


def make_rollout(env: FlowEnv, network, num_episodes: int, record: Any = None):
    """Jitted ``(params, keys, greedy, play_on) -> per-episode results``: one compile for
    both policies and both episode ends (``play_on``: an episode ends on death or timeout
    only, playing on past its plan's completion; else the plan's completion ends it too).
    ``record(state, new_state, info)``, when given, returns per-episode arrays kept from
    each episode's last step under ``"at_end"`` (one env, vmapped over the batch)."""
    max_steps = int(env.default_params.max_timesteps) + 1
    n = num_episodes
    num_ach = env.game.num_achievements

    @jax.jit
    def rollout(
        params: Any, keys: jax.Array, greedy: jax.Array, play_on: jax.Array | bool = NO_PLAY_ON
    ) -> dict[str, jax.Array]:
        step = jax.vmap(policy_step(env, network, params, greedy), in_axes=(0, None, 0, 0))
        obs, state = jax.vmap(lambda k: reset_episode(env, k))(keys)
        out = {
            "done": jnp.zeros(n, bool),
            "success": jnp.zeros(n, bool),
            "died": jnp.zeros(n, bool),
            "starved": jnp.zeros(n, bool),  # died with food, drink or energy empty
            "final_step": jnp.zeros(n, jnp.int32),
            "length": jnp.zeros(n, jnp.int32),
            "return": jnp.zeros(n, jnp.float32),
            "achievements": jnp.zeros((n, num_ach), bool),
        }
        if record is not None:  # zeros shaped like what record returns
            shapes = jax.eval_shape(
                jax.vmap(record), state, state, jax.eval_shape(step, keys, 0, obs, state)[3]
            )
            out["at_end"] = jax.tree.map(lambda a: jnp.zeros(a.shape, a.dtype), shapes)

        def cond(carry):
            t, _, _, out = carry
            return jnp.logical_and(t < max_steps, ~out["done"].all())

        def body(carry):
            t, obs, state, out = carry
            new_obs, new_state, done, info = step(keys, t, obs, state)
            done = jnp.where(play_on, info["game_over"], done)
            live = ~out["done"]
            ended = live & done

            def pick(new: jax.Array, old: jax.Array) -> jax.Array:
                return keep_live(live, new, old)

            at_end = {}
            if record is not None:
                now = jax.vmap(record)(state, new_state, info)
                at_end["at_end"] = jax.tree.map(
                    lambda a, b: keep_live(ended, a, b), now, out["at_end"]
                )
            out = {
                "done": out["done"] | done,
                "success": out["success"] | (ended & info["plan_complete"]),
                "died": out["died"] | (ended & info["died"]),
                "starved": out["starved"] | (ended & info["died"] & info["starving"]),
                "final_step": pick(info["plan_step"], out["final_step"]),
                "length": pick(info["episode_length"], out["length"]),
                "return": pick(info["episode_return"], out["return"]),
                "achievements": pick(info["achievements"], out["achievements"]),
                **at_end,
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


def replay(
    env: FlowEnv, network, params, key: jax.Array, greedy: bool, length: int
) -> tuple[Any, np.ndarray, bool]:
    """Re-run one episode alone for ``length`` steps: (states, task per frame, success),
    where the task is the plan step, or ``num_tasks + 1 + j`` while upkeep entry ``j`` runs."""
    step = policy_step(env, network, params, greedy)

    def task_of(state: Any) -> jax.Array:
        upkeep = env.num_tasks + 1 + state.upkeep
        return jnp.where(state.upkeep >= 0, upkeep, state.plan_step)

    @jax.jit
    def run(key: jax.Array):
        obs, state = reset_episode(env, key)

        def body(carry, t):
            obs, state, finished, success = carry
            new_obs, new_state, done, info = step(key, t, obs, state)
            success = success | (~finished & done & info["plan_complete"])
            return (new_obs, new_state, finished | done, success), (
                state.env_state,
                task_of(state),
            )

        init = (obs, state, jnp.zeros((), bool), jnp.zeros((), bool))
        (_, last, _, success), (states, steps) = jax.lax.scan(
            body, init, jnp.arange(length, dtype=jnp.int32)
        )
        states = jax.tree.map(lambda xs, x: jnp.concatenate([xs, x[None]]), states, last.env_state)
        steps = jnp.concatenate([steps, task_of(last)[None]])
        return states, steps, success

    states, steps, success = run(key)
    return states, np.asarray(steps), bool(success)
