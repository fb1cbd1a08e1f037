"""What a trained skill actually does: inventory and achievement changes while it runs.

:func:`collect_evidence` rolls a checkpoint's plan out on fresh episodes (sampled actions,
as in training) and sums, over the steps where one of the skill's own plan steps was
active, every item's increases and decreases and every achievement unlocked, plus how
often the step completed. The trajectory analysis compares that with the skill's spec
(:mod:`flowrl.skills.spec_evidence`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from flowrl.rl.rollout import load_policy

EVIDENCE_SALT = 7919  # keeps these episodes apart from training and evaluation resets


def _inventory_fields(inventory: Any) -> tuple[list[str], list[str]]:
    """(field names, flat item names) of an Inventory struct (arrays become name[i])."""
    fields = list(inventory.__dataclass_fields__)
    names: list[str] = []
    for f in fields:
        value = np.asarray(getattr(inventory, f))
        names += [f] if value.ndim == 0 else [f"{f}[{i}]" for i in range(value.size)]
    return fields, names


def collect_evidence(
    checkpoint: str | Path,
    target_steps: Sequence[int],
    episodes: int = 16,
    seed: int = 0,
    max_steps: int | None = None,
) -> dict[str, Any]:
    """Changes observed while plan steps ``target_steps`` were active, over ``episodes``.

    Returns ``{"episodes", "steps_active", "completions", "gained": {item: n},
    "consumed": {item: n}, "achievements": {name: n}, "gained_at_completion": {item: n},
    "achievements_at_completion": {name: n}}`` (only nonzero entries); the ``_at_completion``
    counts are changes on the very steps that completed the skill (what finished it).
    """
    env, network, params, _ = load_policy(checkpoint)
    horizon = int(max_steps or int(env.default_params.max_timesteps) + 1)
    targets = jnp.asarray(sorted(set(int(s) for s in target_steps)), jnp.int32)
    _, probe = env.reset(jax.random.PRNGKey(0))
    fields, item_names = _inventory_fields(probe.env_state.inventory)
    achievement_names = [a.name for a in env.game.constants.Achievement]

    def flat(inventory: Any) -> jax.Array:
        return jnp.concatenate([jnp.ravel(getattr(inventory, f)) for f in fields]).astype(jnp.int32)

    def one_episode(key: jax.Array) -> dict[str, jax.Array]:
        obs, state = env.reset(jax.random.fold_in(key, EVIDENCE_SALT))
        zeros = jnp.zeros(len(item_names), jnp.int32)
        acc = {
            "gained": zeros,
            "consumed": zeros,
            "achievements": jnp.zeros(len(achievement_names), jnp.int32),
            "steps_active": jnp.zeros((), jnp.int32),
            "completions": jnp.zeros((), jnp.int32),
            "gained_at_completion": zeros,
            "achievements_at_completion": jnp.zeros(len(achievement_names), jnp.int32),
        }

        def body(carry: Any, t: jax.Array) -> Any:
            obs, state, live, acc = carry
            expert = env.expert_of(state)[None]
            logits = network.apply(params, obs[None], expert, method="policy")
            act_key, env_key = jax.random.split(jax.random.fold_in(key, t))
            action = jax.random.categorical(act_key, logits[0])
            obs2, state2, _, done, info = env.step(env_key, state, action)
            # an upkeep skill acting while the step waits is not the step's evidence
            active = live & (state.upkeep < 0) & jnp.any(state.plan_step == targets)
            delta = flat(state2.env_state.inventory) - flat(state.env_state.inventory)
            new = state2.env_state.achievements & ~state.env_state.achievements
            a = active.astype(jnp.int32)
            done_now = a * info["task_done"].astype(jnp.int32)  # the step that completed it
            acc = {
                "gained": acc["gained"] + a * jnp.maximum(delta, 0),
                "consumed": acc["consumed"] + a * jnp.maximum(-delta, 0),
                "achievements": acc["achievements"] + a * new.astype(jnp.int32),
                "steps_active": acc["steps_active"] + a,
                "completions": acc["completions"] + done_now,
                "gained_at_completion": acc["gained_at_completion"]
                + done_now * jnp.maximum(delta, 0),
                "achievements_at_completion": acc["achievements_at_completion"]
                + done_now * new.astype(jnp.int32),
            }
            return (obs2, state2, live & ~done, acc), None

        carry = (obs, state, jnp.ones((), bool), acc)
        (_, _, _, acc), _ = jax.lax.scan(body, carry, jnp.arange(horizon))
        return acc

    keys = jax.random.split(jax.random.PRNGKey(seed), episodes)
    acc = jax.device_get(jax.jit(jax.vmap(one_episode))(keys))
    total = {k: np.asarray(v).sum(axis=0) for k, v in acc.items()}

    def named(values: np.ndarray, names: list[str]) -> dict[str, int]:
        return {n: int(v) for n, v in zip(names, values, strict=True) if int(v)}

    return {
        "episodes": int(episodes),
        "steps_active": int(total["steps_active"]),
        "completions": int(total["completions"]),
        "gained": named(total["gained"], item_names),
        "consumed": named(total["consumed"], item_names),
        "achievements": named(total["achievements"], achievement_names),
        "gained_at_completion": named(total["gained_at_completion"], item_names),
        "achievements_at_completion": named(total["achievements_at_completion"], achievement_names),
    }
