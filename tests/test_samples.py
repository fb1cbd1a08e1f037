"""Validation samples: real rollouts, safe .npz round trip, shipped files, version checks."""

from __future__ import annotations

import json
from importlib.metadata import version

import jax
import numpy as np
import pytest

from flowrl.envs.games import get_game
from flowrl.skills import samples as S

CLASSIC = "Craftax-Classic-Symbolic-v1"
GAME = get_game(CLASSIC)


@pytest.fixture(scope="module")
def tiny():
    return S.collect_samples(GAME, seed=3, num_envs=2, steps=3, measure_cost=False)


def test_collect_pairs_consecutive_states(tiny):
    n = tiny.num_transitions
    assert tiny.reset.achievements.shape == (2, 22)
    assert tiny.cur.closest_blocks.shape == (n, 17 + 3, 2, 5)  # blocks, then mobs
    assert len(tiny.labels) == n
    # real play: each prev is the state before its cur (intrinsics move by at most one)
    play = np.array([tiny.label(i).startswith("random play") for i in range(n)])
    assert play.sum() == 2 * 3 + 2 * 2  # 3 steps of plain play, 2 kept of stocked play
    diff = np.abs(tiny.cur.player_intrinsics[play] - tiny.prev.player_intrinsics[play])
    assert diff.max() <= 1.0


def test_samples_reach_states_random_play_from_reset_does_not(tiny):
    """The stocked start, the feature edits and the first steps after a reset."""
    labels = [tiny.label(i) for i in range(tiny.num_transitions)]
    stocked = [i for i, name in enumerate(labels) if "stocked start" in name]
    assert stocked and (np.asarray(tiny.cur.inventory.wood)[stocked] > 0).all()
    table = get_game(CLASSIC).constants.BlockType.CRAFTING_TABLE.value
    adjacent = np.abs(tiny.cur.closest_blocks[:, table, :, 0]).sum(axis=-1) == 1
    assert any(adjacent[i] and "CRAFTING_TABLE" in labels[i] for i in range(len(labels)))
    assert "nothing in view (night or open ground)" in labels
    # one step from each of the 2 reset worlds with each of the 17 actions
    assert tiny.first_cur.achievements.shape[0] == 2 * 17 == len(tiny.first_actions)
    np.testing.assert_array_equal(
        tiny.first_prev.player_intrinsics[:2], tiny.reset.player_intrinsics
    )
    assert tiny.probe_batch().size == tiny.num_transitions + 2 * 17 + 2


def test_npz_round_trip(tiny, tmp_path):
    path = tmp_path / "s.npz"
    meta = {"env_name": CLASSIC, "seed": 3}
    S.save_samples(tiny, path, meta)
    back = S.load_samples(path, GAME, expect=meta)
    for part in S.PARTS:
        a, b = getattr(tiny, part), getattr(back, part)
        assert jax.tree.structure(a) == jax.tree.structure(b)
        for x, y in zip(jax.tree.leaves(a), jax.tree.leaves(b), strict=True):
            np.testing.assert_array_equal(np.asarray(x), y)
    with pytest.raises(ValueError, match="collected for"):
        S.load_samples(path, GAME, expect={"seed": 4})
    # features of an older flowrl (no mob rows): refused, never read with clamped indices
    stale = S.FeatureSamples(
        **{
            part: getattr(tiny, part).replace(
                closest_blocks=np.asarray(getattr(tiny, part).closest_blocks)[:, :17]
            )
            for part in S.PARTS
        }
    )
    S.save_samples(stale, path, meta)
    with pytest.raises(ValueError, match="regenerate"):
        S.load_samples(path, GAME, expect=meta)


@pytest.mark.parametrize("env_name", [CLASSIC, "Craftax-Symbolic-v1", "Fabrax-Symbolic-v1"])
def test_shipped_samples_fit_the_installed_game(env_name):
    game = get_game(env_name)
    path = S.shipped_path(game, 0)
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(bytes(data["meta"]).decode())
    assert meta["craftax"] == version("craftax"), "regenerate: python -m flowrl.skills.samples"
    samples = S.load_samples(path, game, expect=S._meta(game, 0))
    assert samples.num_transitions > 1024
    assert samples.step_over_reference > 1  # the cost baseline was measured
    assert samples.cur.closest_blocks.shape[1] == game.num_feature_rows
    assert not samples.reset.achievements.any()  # fresh worlds unlock nothing


def test_load_or_collect_prefers_cache_then_shipped(tmp_path, monkeypatch, tiny):
    monkeypatch.setenv("FLOWRL_CACHE_DIR", str(tmp_path))
    shipped = S.load_or_collect(GAME, 0)  # empty cache -> the shipped file, no rollout
    assert shipped.num_transitions > 1024
    S.save_samples(tiny, S.sample_path(GAME, 0), S._meta(GAME, 0))
    assert S.load_or_collect(GAME, 0).num_transitions == tiny.num_transitions
