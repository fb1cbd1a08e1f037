"""GAE with bootstrapping cut at plan-step boundaries, on hand-made trajectories."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from flowrl.rl.gae import compute_gae, plan_step_cuts


def reference_gae(rewards, values, cuts, last_value, gamma, lam):
    """Plain-Python GAE over a single env (the definition, written out)."""
    T = len(rewards)
    adv = np.zeros(T)
    gae = 0.0
    for t in reversed(range(T)):
        next_v = last_value if t == T - 1 else values[t + 1]
        keep = 0.0 if cuts[t] else 1.0
        delta = rewards[t] + gamma * next_v * keep - values[t]
        gae = delta + gamma * lam * keep * gae
        adv[t] = gae
    return adv


def test_hand_computed_values_with_a_plan_step_cut():
    # 3 steps, the plan step completes at t=1 (reward 1 = bonus), new expert from t=2.
    rewards = jnp.array([[0.0], [1.0], [0.5]])
    values = jnp.array([[0.2], [0.4], [3.0]])  # 3.0: the next expert's (unrelated) scale
    cuts = jnp.array([[False], [True], [False]])
    adv, targets = compute_gae(rewards, values, cuts, jnp.array([1.0]), gamma=0.5, gae_lambda=0.5)
    # t=2: delta = 0.5 + 0.5*1.0 - 3.0 = -2.0
    # t=1: cut -> delta = 1.0 - 0.4 = 0.6, no recursion
    # t=0: delta = 0 + 0.5*0.4 - 0.2 = 0.0; gae = 0.0 + 0.25*0.6 = 0.15
    np.testing.assert_allclose(adv[:, 0], [0.15, 0.6, -2.0], atol=1e-6)
    np.testing.assert_allclose(targets, adv + values, atol=1e-6)


def test_values_after_a_cut_never_leak_back():
    rewards = jnp.ones((6, 1))
    cuts = jnp.array([[False], [False], [True], [False], [False], [False]])
    base = jnp.linspace(0.0, 1.0, 6)[:, None]
    changed = base.at[3:].add(100.0)  # a different expert's values after the step boundary
    a1, _ = compute_gae(rewards, base, cuts, jnp.zeros(1), 0.99, 0.8)
    a2, _ = compute_gae(rewards, changed, cuts, jnp.zeros(1), 0.99, 0.8)
    np.testing.assert_allclose(a1[:3], a2[:3], atol=1e-6)
    assert not np.allclose(a1[3:], a2[3:])


@pytest.mark.parametrize("seed", [0, 1])
def test_matches_reference_on_random_batches(seed):
    rng = np.random.default_rng(seed)
    T, N = 12, 4
    rewards = rng.normal(size=(T, N)).astype(np.float32)
    values = rng.normal(size=(T, N)).astype(np.float32)
    done = rng.random((T, N)) < 0.15
    task_done = rng.random((T, N)) < 0.2
    cuts = np.asarray(plan_step_cuts(jnp.asarray(done), jnp.asarray(task_done)))
    np.testing.assert_array_equal(cuts, done | task_done)
    last = rng.normal(size=N).astype(np.float32)
    adv, _ = compute_gae(rewards, values, cuts, last, 0.99, 0.8)
    for n in range(N):
        expected = reference_gae(rewards[:, n], values[:, n], cuts[:, n], last[n], 0.99, 0.8)
        np.testing.assert_allclose(adv[:, n], expected, rtol=1e-5, atol=1e-5)
