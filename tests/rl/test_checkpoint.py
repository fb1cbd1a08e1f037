"""Checkpoints: atomic round trip and warm start by skill name."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from flowrl.rl.checkpoint import (
    load_checkpoint,
    load_plan_source,
    save_checkpoint,
    skill_experts,
    warm_start,
)
from flowrl.rl.networks import ExpertActorCritic


def make_params(num_experts, seed, width=8):
    net = ExpertActorCritic(num_experts, 4, width=width, depth=1)
    return net.init(jax.random.PRNGKey(seed), jnp.zeros((1, 6)), jnp.zeros((1,), jnp.int32))


def test_round_trip_and_atomic_overwrite(tmp_path):
    params = make_params(2, 0)
    target = tmp_path / "ckpt"
    save_checkpoint(target, params, {"skills": {"a": 0, "b": 1}}, plan_source="STEP = 1\n")
    loaded, meta = load_checkpoint(target)
    assert meta["skills"] == {"a": 0, "b": 1} and meta["format_version"] == 1
    assert load_plan_source(target) == "STEP = 1\n"
    for a, b in zip(jax.tree.leaves(params), jax.tree.leaves(loaded), strict=True):
        np.testing.assert_array_equal(a, b)
    assert jax.tree.structure(loaded) == jax.tree.structure(jax.tree.map(np.asarray, params))
    # overwrite: the new content replaces the old, no temp/old dirs are left behind
    save_checkpoint(target, make_params(2, 1), {"skills": {"c": 0}})
    _, meta = load_checkpoint(target)
    assert meta["skills"] == {"c": 0}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def test_failed_write_leaves_previous_checkpoint(tmp_path):
    target = tmp_path / "ckpt"
    save_checkpoint(target, make_params(1, 0), {"skills": {"a": 0}})
    with pytest.raises(ValueError):  # metadata must be strict JSON: NaN is refused
        save_checkpoint(target, make_params(1, 1), {"skills": {"b": 0}, "rate": float("nan")})
    _, meta = load_checkpoint(target)
    assert meta["skills"] == {"a": 0}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt"]


def test_warm_start_copies_experts_by_skill_name():
    old = make_params(2, 0)  # old plan: wood -> expert 0, table -> expert 1
    new = make_params(3, 1)  # new plan: table -> 0, pickaxe -> 1 (new), wood -> 2
    merged, copied = warm_start(
        new, {"table": 0, "pickaxe": 1, "wood": 2}, old, {"wood": 0, "table": 1}
    )
    assert copied == ["table", "wood"]
    for m, n, o in zip(
        jax.tree.leaves(merged), jax.tree.leaves(new), jax.tree.leaves(old), strict=True
    ):
        np.testing.assert_array_equal(m[0], o[1])  # table
        np.testing.assert_array_equal(m[2], o[0])  # wood
        np.testing.assert_array_equal(m[1], n[1])  # pickaxe stays fresh


def test_warm_start_rejects_other_architectures():
    with pytest.raises(ValueError, match="per expert"):
        warm_start(make_params(2, 0, width=8), {"a": 0}, make_params(2, 0, width=16), {"a": 0})


def test_skill_experts_requires_one_expert_per_skill():
    assert skill_experts(("a", "b", "a"), (0, 1, 0)) == {"a": 0, "b": 1}
    with pytest.raises(ValueError, match="mapped to experts"):
        skill_experts(("a", "a"), (0, 1))


def _adam_state(params, per_expert, fill):
    """The trainer's optimiser state, its moments and counts set to recognisable values."""
    import optax

    opt = optax.chain(optax.clip_by_global_norm(1.0), optax.scale_by_adam(eps=1e-5))
    state = jax.vmap(opt.init)(params) if per_expert else opt.init(params)

    def set_leaf(leaf):
        if not leaf.ndim:
            return jnp.full((), fill, leaf.dtype)
        values = jnp.arange(leaf.shape[0], dtype=leaf.dtype) + fill
        return jnp.broadcast_to(values.reshape((-1,) + (1,) * (leaf.ndim - 1)), leaf.shape)

    return jax.tree.map(set_leaf, state)


def test_optimizer_state_round_trips_and_warm_starts_by_skill_name(tmp_path):
    from flowrl.rl.checkpoint import load_optimizer_state, warm_start_optimizer

    old_params = make_params(2, 0)
    old_opt = _adam_state(old_params, per_expert=True, fill=100)  # expert e holds 100 + e
    save_checkpoint(tmp_path / "ckpt", old_params, {"skills": {}}, opt_state=old_opt)
    saved = load_optimizer_state(tmp_path / "ckpt")
    new_opt = _adam_state(make_params(3, 1), per_expert=True, fill=0)  # expert e holds e
    merged, copied = warm_start_optimizer(new_opt, {"x": 0, "b": 1, "c": 2}, saved, {"b": 1})
    assert copied == ["b"]
    adam = merged[1]
    assert adam.count.tolist() == [0, 101, 2]  # b's step count came along, others fresh
    for leaf in jax.tree.leaves((adam.mu, adam.nu)):
        assert leaf[1].ravel()[0] == 101 and leaf[0].ravel()[0] == 0 and leaf[2].ravel()[0] == 2
    # a shared (not per-expert) Adam state is kept fresh, and so is a checkpoint without one
    shared = _adam_state(make_params(3, 1), per_expert=False, fill=0)
    assert warm_start_optimizer(shared, {"b": 1}, saved, {"b": 1})[1] == []
    assert warm_start_optimizer(new_opt, {"b": 1}, None, {"b": 1})[1] == []
    assert load_optimizer_state(tmp_path / "none") is None


def test_merged_warm_start_stacks_experts_and_their_adam_states(tmp_path):
    """A plan whose skills come from two checkpoints (e.g. a retried skill resuming its
    rejected attempt) starts from one merged checkpoint, Adam states included."""
    from flowrl.pipeline.stages.warm_start import merge_checkpoints
    from flowrl.rl.checkpoint import load_optimizer_state

    a_params, b_params = make_params(2, 0), make_params(1, 1)
    meta_a = {"skills": {"wood": 0, "table": 1}, "frames_per_skill": {"wood": 5, "table": 7}}
    save_checkpoint(
        tmp_path / "a", a_params, meta_a, opt_state=_adam_state(a_params, True, fill=10)
    )
    meta_b = {"skills": {"coal": 0}, "frames_per_skill": {"coal": 9}}
    save_checkpoint(
        tmp_path / "b", b_params, meta_b, opt_state=_adam_state(b_params, True, fill=50)
    )
    sources = {"table": tmp_path / "a", "coal": tmp_path / "b"}
    merged = merge_checkpoints(sources, tmp_path / "m")
    params, meta = load_checkpoint(merged)
    assert meta["skills"] == {"table": 0, "coal": 1}
    assert meta["frames_per_skill"] == {"table": 7, "coal": 9}
    a_leaves, b_leaves = jax.tree.leaves(a_params), jax.tree.leaves(b_params)
    for leaf, a, b in zip(jax.tree.leaves(params), a_leaves, b_leaves, strict=True):
        np.testing.assert_array_equal(leaf[0], a[1])  # table was expert 1 of a
        np.testing.assert_array_equal(leaf[1], b[0])
    adam = load_optimizer_state(merged)["1"]
    assert np.asarray(adam["count"]).tolist() == [11, 50]
    # a one-expert plan's Adam state (scalar count) stacks like a per-expert one
    save_checkpoint(
        tmp_path / "c", b_params, meta_b, opt_state=_adam_state(b_params, False, fill=70)
    )
    one = merge_checkpoints({"table": tmp_path / "a", "coal": tmp_path / "c"}, tmp_path / "o")
    assert np.asarray(load_optimizer_state(one)["1"]["count"]).tolist() == [11, 70]
    # a shared Adam state of several experts cannot be split by expert: none is written
    two = make_params(2, 2)
    save_checkpoint(
        tmp_path / "d", two, {"skills": {"coal": 0, "x": 1}}, opt_state=_adam_state(two, False, 0)
    )
    plain = merge_checkpoints({"table": tmp_path / "a", "coal": tmp_path / "d"}, tmp_path / "n")
    assert load_optimizer_state(plain) is None


def test_one_expert_adam_states_warm_start_both_ways(tmp_path):
    """One-step plans keep an unstacked Adam state (scalar count); it still travels by name."""
    from flowrl.rl.checkpoint import load_optimizer_state, warm_start_optimizer

    one = make_params(1, 0)
    save_checkpoint(tmp_path / "one", one, {}, opt_state=_adam_state(one, False, fill=40))
    saved = load_optimizer_state(tmp_path / "one")
    into_three = _adam_state(make_params(3, 1), per_expert=True, fill=0)
    merged, copied = warm_start_optimizer(into_three, {"x": 0, "b": 1, "c": 2}, saved, {"b": 0})
    assert copied == ["b"] and merged[1].count.tolist() == [0, 40, 2]
    many = make_params(2, 2)
    save_checkpoint(tmp_path / "two", many, {}, opt_state=_adam_state(many, True, fill=50))
    into_one = _adam_state(make_params(1, 3), per_expert=False, fill=0)
    back, copied = warm_start_optimizer(
        into_one, {"b": 0}, load_optimizer_state(tmp_path / "two"), {"a": 0, "b": 1}
    )
    assert copied == ["b"] and np.ndim(back[1].count) == 0 and int(back[1].count) == 51
    assert all(leaf.ravel()[0] == 51 for leaf in jax.tree.leaves((back[1].mu, back[1].nu)))
