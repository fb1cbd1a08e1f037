"""Expert minibatches: a shuffled partition of the batch into single-expert minibatches."""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from flowrl.rl.minibatches import expert_minibatches, minibatch_count


@functools.cache
def _partition(num_experts: int, num_minibatches: int, exact: bool = True):
    return jax.jit(
        lambda key, expert: expert_minibatches(key, expert, num_experts, num_minibatches, exact)
    )


def check_partition(
    expert: np.ndarray, num_experts: int, num_minibatches: int, seed: int, exact: bool = True
):
    partition = _partition(num_experts, num_minibatches, exact)
    minibatches = jax.device_get(partition(jax.random.PRNGKey(seed), jnp.asarray(expert)))
    batch = len(expert)
    capacity = batch // num_minibatches
    assert minibatches.index.shape == (minibatch_count(num_minibatches, num_experts), capacity)

    real = minibatches.weight > 0
    used_rows = np.sort(minibatches.index[real])
    assert len(np.unique(used_rows)) == len(used_rows)  # no sample twice
    # a minibatch holds one expert's samples, weights sum to 1 over its real rows
    for s in range(len(real)):
        rows = minibatches.index[s][real[s]]
        assert minibatches.valid[s] == (len(rows) > 0)
        if len(rows):
            assert set(expert[rows]) == {minibatches.expert[s]}
            np.testing.assert_allclose(minibatches.weight[s].sum(), 1.0, rtol=1e-6)
    # expert e owns k_e consecutive minibatches of near-equal size, used minibatches first
    counts = np.bincount(expert, minlength=num_experts)
    if exact:  # ceil(n_e / M) minibatches, every sample used
        np.testing.assert_array_equal(used_rows, np.arange(batch))
        np.testing.assert_array_equal(minibatches.count, -(-counts // capacity))
    else:  # round(n_e / M) minibatches (at least one), at most M / 2 samples left out
        want = np.where(counts > 0, np.maximum(np.floor(counts / capacity + 0.5), 1), 0)
        np.testing.assert_array_equal(minibatches.count, want)
    kept = np.bincount(expert[used_rows], minlength=num_experts)
    np.testing.assert_array_equal(kept, np.minimum(counts, minibatches.count * capacity))
    assert (counts - kept <= capacity // 2).all()
    used = minibatches.count.sum()
    assert minibatches.valid[:used].all() and not minibatches.valid[used:].any()
    for e in range(num_experts):
        first, k = minibatches.first[e], minibatches.count[e]
        sizes = real[first : first + k].sum(axis=1)
        assert (minibatches.expert[first : first + k] == e).all()
        if k:
            assert sizes.max() - sizes.min() <= 1 and sizes.sum() == kept[e]


@settings(max_examples=25, deadline=None)
@given(
    num_experts=st.sampled_from([1, 2, 3, 5]),
    num_minibatches=st.sampled_from([1, 4, 8]),
    exact=st.booleans(),
    data=st.data(),
)
def test_partition_invariants(num_experts, num_minibatches, exact, data):
    batch = 64
    weights = data.draw(st.lists(st.integers(0, 9), min_size=num_experts, max_size=num_experts))
    p = np.asarray(weights, float) + 1e-9
    seed = data.draw(st.integers(0, 2**16))
    expert = np.random.default_rng(seed).choice(num_experts, size=batch, p=p / p.sum())
    check_partition(expert.astype(np.int32), num_experts, num_minibatches, seed, exact)


def test_one_expert_is_an_ordinary_random_partition():
    expert = np.zeros(64, np.int32)
    minibatches = jax.device_get(_partition(1, 8)(jax.random.PRNGKey(0), jnp.asarray(expert)))
    assert minibatches.valid.all() and (minibatches.weight == 1 / 8).all()
    assert not np.array_equal(minibatches.index.reshape(-1), np.arange(64))  # shuffled


def test_extreme_splits_fit_the_static_minibatch_count():
    # one sample on expert 1 costs one extra minibatch; all on the last expert uses nmb minibatches
    for expert in (np.r_[np.zeros(63), 1], np.full(64, 2), np.arange(64) % 3):
        for exact in (True, False):
            check_partition(expert.astype(np.int32), 3, 8, seed=1, exact=exact)


def test_rounded_minibatches_drop_a_fresh_random_subset_each_epoch():
    expert = (np.arange(64) < 45).astype(np.int32)  # expert 0: 19 samples = 2.4 x M (M=8)
    partition = _partition(2, 8, False)
    left_out = []
    for seed in range(4):
        minibatches = jax.device_get(partition(jax.random.PRNGKey(seed), jnp.asarray(expert)))
        left_out.append(set(range(64)) - set(minibatches.index[minibatches.weight > 0].tolist()))
    # expert 0 gets 2 minibatches (16 rows): 3 of its samples sit out; expert 1 (45) fits 6 minibatches
    assert all(len(s) == 3 and all(expert[i] == 0 for i in s) for s in left_out)
    assert len(set.union(*left_out)) > 3  # not the same samples every epoch
