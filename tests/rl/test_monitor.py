"""Best checkpoint, collapse warning and early stop decisions (no training)."""

from __future__ import annotations

import math

from flowrl.rl.monitor import RunMonitor

NAN = (math.nan, math.nan, math.nan, 0)


def est(rate: float, n: int = 500) -> tuple[float, float, float, int]:
    return rate, max(0.0, rate - 0.04), min(1.0, rate + 0.04), n


def test_best_is_the_highest_estimate_not_the_last():
    mon = RunMonitor(threshold=0.8, budget_frames=1000)
    assert not mon.observe(0, 8, 100, NAN, 1.0, 0)  # no estimate yet: no best
    assert mon.observe(1, 16, 200, est(0.4), 11.0, 8)
    assert mon.observe(2, 24, 300, est(0.64), 12.0, 16)
    assert not mon.observe(3, 32, 400, est(0.5), 12.0, 24)
    assert mon.best.rate == 0.64 and mon.best.policy_update == 16 and mon.best.chunk == 2
    assert mon.best.as_dict()["success_interval"] == [0.6, 0.68]
    assert not mon.warnings  # success fell but the return did not rise


def test_rising_return_with_falling_success_warns_once():
    """The Collect Stone collapse: success 0.64 -> 0.22 while the return rose 11 -> 30."""
    mon = RunMonitor(threshold=0.8, budget_frames=1000)
    mon.observe(0, 8, 100, est(0.64), 11.0, 0)
    mon.observe(1, 16, 200, est(0.58), 20.0, 8)  # within collapse_drop: no warning
    assert not mon.warnings
    mon.observe(2, 24, 300, est(0.22), 30.0, 16)
    mon.observe(3, 32, 400, est(0.20), 31.0, 24)
    assert len(mon.warnings) == 1
    warning = mon.warnings[0]
    assert warning["kind"] == "success_fell_while_return_rose"
    assert warning["peak_success"] == 0.64 and warning["success"] == 0.22
    assert "0.64" in warning["message"] and "11.0 to 30.0" in warning["message"]


def test_early_stop_below_after_share_of_budget():
    mon = RunMonitor(threshold=0.8, budget_frames=1000, early_stop_after=0.25)
    mon.observe(0, 8, 200, est(0.02), 0.0, 0)
    assert not mon.should_stop_early(0, 200, 0.02)  # before 25% of the budget
    assert not mon.should_stop_early(1, 300, math.nan)  # no estimate: never stops
    assert mon.should_stop_early(1, 300, 0.02)
    assert mon.stop_reason == "success 0.02 below 0.1 after 30% of the budget (300 frames)"


def test_early_stop_patience_and_off_switch():
    mon = RunMonitor(threshold=0.8, budget_frames=1000, early_stop_patience=2)
    mon.observe(0, 8, 300, est(0.5), 0.0, 0)
    mon.observe(1, 16, 400, est(0.45), 0.0, 8)
    assert not mon.should_stop_early(1, 400, 0.45)  # one chunk without a new best
    mon.observe(2, 24, 500, est(0.48), 0.0, 16)
    assert mon.should_stop_early(2, 500, 0.48)
    assert mon.stop_reason.startswith("no new best success for 2 chunks (best 0.50)")
    off = RunMonitor(threshold=0.8, budget_frames=1000, early_stop_below=0.0)
    off.observe(0, 8, 900, est(0.0), 0.0, 0)
    assert not off.should_stop_early(0, 900, 0.0)


def test_a_rescued_run_goes_on_only_while_it_improves():
    """Hopeless at 25%: the game's reward is added (no stop). Hopeless again at the re-armed
    check: a run whose estimate rose >= early_stop_below / 2 since the rescue goes on; one
    that did not move stops; a plateau (above early_stop_below) is never rescued."""
    from flowrl.rl.config import TrainConfig
    from flowrl.rl.trainer import Run

    def run_at(frames: int, rate: float, run: Run | None = None) -> tuple[Run, bool]:
        run = run or Run(TrainConfig(), num_experts=1, age_bins=4, budget_frames=1000)
        run.frames, run.rate = frames, rate
        return run, run.should_stop(frames // 100)

    rising, stop = run_at(300, 0.0)
    assert not stop and rising.game_reward_from == 300 and rising.rescue_due
    assert rising.monitor.stop_reason is None
    for frames, rate in ((400, 0.03), (560, 0.06), (800, 0.04)):  # 0.06 - 0.0 >= 0.05
        assert not run_at(frames, rate, rising)[1], (frames, rate)
    flat, _ = run_at(300, 0.01)
    assert not run_at(400, 0.03, flat)[1]  # not yet re-armed (300 + 25% of 1000)
    flat, stop = run_at(560, 0.04, flat)  # rose only 0.03: stops
    assert stop and "below 0.1" in str(flat.monitor.stop_reason)
    at_end, stop = run_at(1000, 0.0)  # no budget left to learn the game's reward with
    assert stop and at_end.game_reward_from is None


def test_a_run_rising_below_the_bar_is_neither_stopped_nor_rescued():
    """At the early-stop check, a run at least halfway to early_stop_below whose interval's
    lower end lies above its estimate extend_patience chunks back goes on (no game's reward,
    check re-armed); one that is as low or flat is rescued as before (depth runs: Collect
    Iron rose 0.03 -> 0.065 [0.044, 0.096] and was rescued; Eat Cow read 0.01 -> 0.012)."""
    from flowrl.rl.config import TrainConfig
    from flowrl.rl.trainer import Run

    def run_at(frames: int, history: list[tuple[float, float]], run: Run | None = None):
        run = run or Run(TrainConfig(), num_experts=1, age_bins=4, budget_frames=1000)
        run.estimates.extend(history)
        run.frames, run.rate = frames, history[-1][0]
        return run, run.should_stop(frames // 100)

    iron = [(0.029, 0.01), (0.025, 0.013), (0.03, 0.017), (0.05, 0.03), (0.065, 0.044)]
    rising, stop = run_at(300, iron)
    assert not stop and rising.game_reward_from is None and not rising.rescue_due
    assert rising.monitor.early_stop_after == 0.3 + 0.25  # checked again later
    assert not run_at(400, [(0.08, 0.06)], rising)[1]  # before the re-armed check
    rising, stop = run_at(560, [(0.07, 0.05)] * 4, rising)  # flat since: rescued now
    assert not stop and rising.game_reward_from == 560
    cow = [(0.009, 0.004), (0.005, 0.002), (0.007, 0.003), (0.007, 0.003), (0.012, 0.005)]
    rescued, stop = run_at(300, cow)  # rising, but not halfway to the bar
    assert not stop and rescued.game_reward_from == 300
    flat = [(0.06, 0.05)] * 5  # halfway, but its lower end is not above 4 chunks back
    rescued, stop = run_at(300, flat)
    assert not stop and rescued.game_reward_from == 300
