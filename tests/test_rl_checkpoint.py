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
