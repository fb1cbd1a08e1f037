"""Success rate smoothing, NaN handling and the shared stopping operator."""

from __future__ import annotations

import math

import numpy as np

from flowrl.rl.success import SuccessTracker, reached, smoothed_success


def test_window_sums_counts_not_rates():
    finished = [10, 0, 2, 8]
    completed = [5, 0, 2, 8]
    rate = smoothed_success(finished, completed, window=2)
    # windows: [10] -> .5, [10,0] -> .5, [0,2] -> 1.0, [2,8] -> 1.0
    np.testing.assert_allclose(rate, [0.5, 0.5, 1.0, 1.0])
    rate3 = smoothed_success(finished, completed, window=3)
    np.testing.assert_allclose(rate3, [0.5, 0.5, 7 / 12, 10 / 10])


def test_no_finished_episode_is_no_estimate():
    rate = smoothed_success([0, 0, 3], [0, 0, 0], window=2)
    assert math.isnan(rate[0]) and math.isnan(rate[1])
    assert rate[2] == 0.0  # episodes ended, none succeeded: a real failure estimate


def test_min_episodes_withholds_small_samples():
    rate = smoothed_success([1, 1, 30], [1, 1, 30], window=10, min_episodes=16)
    assert math.isnan(rate[0]) and math.isnan(rate[1]) and rate[2] == 1.0


def test_reached_is_nan_safe_and_inclusive():
    assert not reached(math.nan, 0.0)
    assert reached(0.8, 0.8)
    assert not reached(0.7999, 0.8)


def test_tracker_returns_the_new_updates_curve():
    tracker = SuccessTracker(window=2)
    assert math.isnan(tracker.rate)
    new = tracker.add([0, 4], [0, 1])
    assert math.isnan(new[0]) and new[1] == 0.25
    new = tracker.add([4], [4])
    np.testing.assert_allclose(new, [5 / 8])
    assert tracker.rate == 5 / 8
    assert len(tracker.curve()) == 3
