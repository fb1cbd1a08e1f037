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


def _simulate(num_envs=64, num_steps=16, updates=60, horizon=40, seed=0):
    """A fixed policy as a renewal process: 30% of episodes succeed after 1-10 steps, the
    rest die after 1-200 steps. Success within the horizon is exactly 0.3, but early on
    only short episodes have finished, so the finished-episode rate starts far above it."""
    from flowrl.rl.success import HorizonTracker, age_bins, horizon_counts

    rng = np.random.default_rng(seed)

    def draw(n):
        win = rng.random(n) < 0.3
        return np.where(win, rng.integers(1, 11, n), rng.integers(1, 201, n)), win

    target, win = draw(num_envs)
    length = np.zeros(num_envs, np.int64)
    bins = age_bins(horizon, num_steps)
    tracker = HorizonTracker(window=updates, min_episodes=1, bins=bins)
    finished = SuccessTracker(window=2)
    for update in range(updates):
        dones, wins, lengths = [], [], []
        for _ in range(num_steps):
            length += 1
            done = length == target
            dones.append(done.copy())
            wins.append(done & win)
            lengths.append(length.copy())
            new_target, new_win = draw(num_envs)
            target, win = np.where(done, new_target, target), np.where(done, new_win, win)
            length = np.where(done, 0, length)
        done, completed = np.stack(dones), np.stack(wins)
        counts = horizon_counts(
            update, done, completed, np.stack(lengths), horizon, num_steps, bins
        )
        tracker.add(counts["horizon_resolved"][None], counts["horizon_succeeded"][None])
        finished.add([done.sum()], [completed.sum()])
    return tracker, finished


def test_horizon_estimate_is_unbiased_where_finished_episodes_are_not():
    tracker, finished = _simulate()
    rate, lo, hi, n = tracker.estimate()
    assert n > 500 and lo <= 0.3 <= hi and abs(rate - 0.3) < 0.05
    assert finished.curve()[1] > 0.5  # the old estimate after two updates: short wins only
    first = next(r for r, *_ in tracker.history if not math.isnan(r))
    assert abs(first - 0.3) < 0.15  # no early optimism: the first estimate is already fair


def test_wilson_interval():
    from flowrl.rl.success import wilson_interval

    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and 0.25 < hi < 0.35  # 0.2775
    lo, hi = wilson_interval(50, 100)
    assert abs(lo - 0.4038) < 1e-3 and abs(hi - 0.5962) < 1e-3
    assert all(math.isnan(x) for x in wilson_interval(0, 0))


def test_failure_counts_split_by_cause_and_plan_step():
    """Six fresh envs and one frontier env over two rollout steps (horizon 10): each
    failure lands on the step the plan was on, by its cause; successes, frontier episodes
    and episodes still inside the horizon count nowhere."""
    from flowrl.rl.success import failure_counts

    t = lambda *xs: np.array([xs], dtype=bool)  # noqa: E731  (one rollout step)
    done = np.concatenate([t(1, 1, 1, 0, 0, 1, 1), t(0, 0, 0, 0, 1, 0, 0)])
    info = {
        "episode_length": np.array([[5, 9, 10, 11, 3, 4, 7], [1, 1, 1, 12, 4, 1, 1]]),
        "fresh": np.concatenate([t(1, 1, 1, 1, 1, 0, 1), t(1, 1, 1, 1, 1, 1, 1)]),
        "plan_complete": np.concatenate([t(0, 0, 1, 0, 0, 0, 0), t(0, 0, 0, 0, 0, 0, 0)]),
        # env 0 was killed on step 1; env 1 hit the time limit on step 2; env 2 completed;
        # env 3 passed the horizon on step 0; env 4 is running, then was killed on step 2;
        # env 5 (a frontier start) died; env 6 starved on step 1
        "died": np.concatenate([t(1, 0, 0, 0, 0, 1, 1), t(0, 0, 0, 0, 1, 0, 0)]),
        "starving": np.concatenate([t(0, 0, 0, 0, 0, 0, 1), t(0, 0, 0, 0, 0, 0, 0)]),
        "plan_step": np.array([[1, 2, 3, 0, 2, 2, 1], [0, 0, 0, 0, 2, 0, 0]]),
    }
    counts = failure_counts(done, info, horizon=10, num_tasks=3)
    assert np.asarray(counts["failed_killed"]).tolist() == [0, 1, 1, 0]
    assert np.asarray(counts["failed_starved"]).tolist() == [0, 1, 0, 0]
    assert np.asarray(counts["failed_out_of_time"]).tolist() == [1, 0, 1, 0]
