"""The trainer's guard against poisoned rewards: stop at the first chunk that goes bad.

Validation samples cannot show every state training reaches, so the trainer checks each
chunk of updates before anything of it is kept: rewards (counted per plan step by
:class:`flowrl.rl.ppo.PPO`), the losses, and the parameters themselves. The first
non-finite one stops training with :class:`PoisonedTraining`; its reason names the plan
step whose reward was non-finite or beyond the contract's magnitude, so the slot can be
rejected at ``stage: train`` with something the LLM can fix. The checkpoint keeps the last
finite parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from flowrl.envs.games import GameSpec
from flowrl.skills.contract import REWARD_LIMIT

LOSS_METRICS = ("actor_loss", "value_loss", "entropy", "approx_kl")


class PoisonedTraining(RuntimeError):
    """Training produced non-finite values; ``reason`` says where and what to fix."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def suspect_reward_counts(reward: jax.Array, step: jax.Array, num_tasks: int) -> jax.Array:
    """Frames per plan step whose reward is non-finite or beyond :data:`REWARD_LIMIT`
    (``step``: the plan step each reward was paid for)."""
    bad = ~jnp.isfinite(reward) | (jnp.abs(reward) > REWARD_LIMIT)
    index = jnp.where(bad, step, num_tasks).reshape(-1)
    return jnp.bincount(index, length=num_tasks + 1)[:num_tasks]


def _finite(tree: Any) -> bool:
    return all(bool(jnp.isfinite(leaf).all()) for leaf in jax.tree.leaves(tree))


def chunk_problem(
    metrics: dict[str, Any], params: Any, step_names: Sequence[str], updates_before: int
) -> str | None:
    """Why the chunk just trained must not be kept (None when it is fine)."""
    bad_losses = [
        name for name in LOSS_METRICS if name in metrics and not np.isfinite(metrics[name]).all()
    ]
    nonfinite_reward = int(np.asarray(metrics.get("nonfinite_rewards", 0)).sum())
    params_ok = _finite(params)
    if not bad_losses and not nonfinite_reward and params_ok:
        return None
    what = []
    if nonfinite_reward:
        what.append(f"{nonfinite_reward} rewards were NaN or infinite")
    if bad_losses:
        what.append(f"{', '.join(bad_losses)} became non-finite")
    if not params_ok:
        what.append("the network's parameters became non-finite")
    suspect = np.asarray(metrics.get("suspect_rewards", np.zeros(0))).reshape(-1, len(step_names))
    counts = suspect.sum(axis=0) if suspect.size else np.zeros(len(step_names), int)
    blamed = [
        f"plan step {k} ({step_names[k]}): {int(c)} frames with a NaN, infinite or larger "
        f"than {REWARD_LIMIT:g} reward"
        for k, c in enumerate(counts)
        if c
    ]
    culprit = (
        "; ".join(blamed)
        + "; fix that step's task_reward (guard divisions and logs, clip before jnp.exp, "
        f"keep rewards within +-{REWARD_LIMIT:g})"
        if blamed
        else "no plan step's reward was non-finite or large, so the optimisation itself "
        "diverged; lower the learning rate"
    )
    return (
        f"training stopped in the chunk after update {updates_before}: {'; '.join(what)}. "
        f"{culprit}. The checkpoint keeps the last finite parameters."
    )


def slow_step_warnings(plan: Any, game: GameSpec) -> list[str]:
    """One warning per plan step whose done + reward cost more than
    :data:`flowrl.skills.cost.COST_LIMIT` plain flow-env steps per state: timed here, on the
    validation samples, next to the reference skill (the env-step ratio of the samples'
    ``step_over_reference``). Training would run that many times slower than the game."""
    from flowrl.envs.features import call_with_features, skill_arguments
    from flowrl.skills import cost
    from flowrl.skills.samples import load_or_collect

    samples = load_or_collect(game)
    if samples.step_over_reference <= 0:
        return []
    batch = samples.probe_batch()
    prev, cur = jax.tree.map(lambda x: x[: cost.TIMING_BATCH], (batch.prev, batch.cur))
    reference = cost.reference_seconds(prev, cur)
    warnings = []
    for k in range(plan.num_tasks):

        def pair(p: Any, c: Any, k: int = k) -> tuple[Any, Any]:
            args = skill_arguments(p, c)
            return call_with_features(plan.is_done[k], args), call_with_features(
                plan.reward[k], args
            )

        seconds = cost.seconds_per_state(jax.jit(jax.vmap(pair)), prev, cur, repeats=2)
        ratio = seconds / reference / samples.step_over_reference
        if ratio > cost.COST_LIMIT:
            warnings.append(
                f"plan step {k} ({plan.names[k]}) costs about {ratio:.0f} plain env steps per "
                "state: training runs that much slower than the game; simplify its "
                "task_is_done / task_reward"
            )
    return warnings
