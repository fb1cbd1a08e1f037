"""Expert routing: every sample is computed by the expert of its plan step."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from flowrl.rl.networks import ActorCritic, ExpertActorCritic, resolve_routing

E, A, D, B = 3, 5, 7, 11


@pytest.fixture(scope="module")
def setup():
    obs = jax.random.normal(jax.random.PRNGKey(0), (B, D))
    expert = jnp.array([0, 1, 2, 2, 1, 0, 0, 2, 1, 1, 0])
    net = ExpertActorCritic(E, A, width=16, depth=2, routing="select")
    params = net.init(jax.random.PRNGKey(1), obs, expert)
    return obs, expert, params


def single_expert_params(params, e):
    return jax.tree.map(lambda x: x[e : e + 1], params)


def test_each_row_equals_its_expert_alone(setup):
    obs, expert, params = setup
    net = ExpertActorCritic(E, A, width=16, depth=2, routing="select")
    logits, value = net.apply(params, obs, expert)
    assert logits.shape == (B, A) and value.shape == (B,)
    alone = ExpertActorCritic(1, A, width=16, depth=2, routing="select")
    for e in range(E):
        rows = np.where(np.asarray(expert) == e)[0]
        ref_logits, ref_value = alone.apply(
            single_expert_params(params, e), obs[rows], jnp.zeros(len(rows), jnp.int32)
        )
        np.testing.assert_allclose(logits[rows], ref_logits, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(value[rows], ref_value, rtol=1e-5, atol=1e-6)


def test_changing_one_expert_changes_only_its_rows(setup):
    obs, expert, params = setup
    net = ExpertActorCritic(E, A, width=16, depth=2, routing="select")
    before, vb = net.apply(params, obs, expert)
    bumped = jax.tree.map(lambda x: x.at[1].add(0.5), params)
    after, va = net.apply(bumped, obs, expert)
    moved = np.any(np.abs(np.asarray(after - before)) > 1e-6, axis=1) | (
        np.abs(np.asarray(va - vb)) > 1e-6
    )
    np.testing.assert_array_equal(moved, np.asarray(expert) == 1)


@pytest.mark.parametrize("routing", ["gather", "ragged"])
def test_routing_modes_agree(setup, routing):
    obs, expert, params = setup
    ref = ExpertActorCritic(E, A, width=16, depth=2, routing="select").apply(params, obs, expert)
    out = ExpertActorCritic(E, A, width=16, depth=2, routing=routing).apply(params, obs, expert)
    for a, b in zip(ref, out, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)


def test_gradients_reach_only_the_used_experts(setup):
    obs, _, params = setup
    expert = jnp.zeros(B, jnp.int32)  # everyone on expert 0
    net = ExpertActorCritic(E, A, width=16, depth=2, routing="select")

    def loss(p):
        logits, value = net.apply(p, obs, expert)
        return (logits**2).sum() + (value**2).sum()

    grads = jax.grad(loss)(params)
    for leaf in jax.tree.leaves(grads):
        assert np.abs(np.asarray(leaf[1:])).max() == 0.0
    assert any(np.abs(np.asarray(leaf[0])).max() > 0 for leaf in jax.tree.leaves(grads))


def test_auto_routing_and_plain_baseline():
    assert resolve_routing("auto", 2) == "select"
    assert resolve_routing("gather", 2) == "gather"
    obs = jnp.ones((4, D))
    params = ActorCritic(A, width=8).init(jax.random.PRNGKey(0), obs)
    logits, value = ActorCritic(A, width=8).apply(params, obs)
    assert logits.shape == (4, A) and value.shape == (4,)


def test_rollouts_vmap_one_env_per_lane_with_any_number_of_experts(setup):
    """Evaluation rolls each env out in its own vmapped lane (a batch of one); ragged_dot
    (auto above 8 experts) cannot be vmapped, so rollouts of such checkpoints use gather."""
    from flowrl.rl.rollout import rollout_routing

    assert rollout_routing("auto", 3) == "select" and rollout_routing("auto", 9) == "gather"
    assert rollout_routing("ragged", 2) == "gather" and rollout_routing("select", 20) == "select"
    obs, expert, params = setup
    ref = ExpertActorCritic(E, A, width=16, depth=2, routing="ragged")
    lane = ExpertActorCritic(E, A, width=16, depth=2, routing=rollout_routing("ragged", E))
    per_env = jax.vmap(lambda o, e: lane.apply(params, o[None], e[None], method="policy")[0])
    np.testing.assert_allclose(
        per_env(obs, expert), ref.apply(params, obs, expert, method="policy"), rtol=1e-4, atol=1e-5
    )
