"""Plan success rate: smoothed over a window of updates, NaN-safe, one stopping operator.

Success rate = completed plans / finished episodes, both summed over the last ``window``
updates. With fewer than ``min_episodes`` finished episodes in the window there is no
estimate (NaN), which is never read as failure nor as success. :func:`reached` is the
single comparison used for early stopping and for the final verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np


def smoothed_success(
    finished: Sequence[float] | np.ndarray,
    completed: Sequence[float] | np.ndarray,
    window: int,
    min_episodes: int = 1,
) -> np.ndarray:
    """Per-update smoothed success rate (NaN where the window holds too few episodes)."""
    finished = np.asarray(finished, dtype=np.float64)
    completed = np.asarray(completed, dtype=np.float64)
    if finished.shape != completed.shape:
        raise ValueError("finished and completed need the same shape")
    if window < 1:
        raise ValueError("window must be >= 1")
    f_sum = np.cumsum(np.concatenate([[0.0], np.nan_to_num(finished)]))
    c_sum = np.cumsum(np.concatenate([[0.0], np.nan_to_num(completed)]))
    idx = np.arange(1, len(finished) + 1)
    start = np.maximum(idx - window, 0)
    f_win = f_sum[idx] - f_sum[start]
    c_win = c_sum[idx] - c_sum[start]
    enough = f_win >= max(1, min_episodes)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(enough, c_win / np.where(enough, f_win, 1.0), np.nan)


def reached(rate: float, threshold: float) -> bool:
    """True when ``rate`` is an estimate at or above ``threshold`` (NaN never reaches)."""
    return bool(not math.isnan(rate) and rate >= threshold)


class SuccessTracker:
    """Accumulates per-update episode counts and answers the current smoothed rate."""

    def __init__(self, window: int, min_episodes: int = 1) -> None:
        self.window = window
        self.min_episodes = min_episodes
        self.finished: list[float] = []
        self.completed: list[float] = []

    def add(self, finished: Sequence[float], completed: Sequence[float]) -> np.ndarray:
        """Record updates; return the smoothed rate after each of them."""
        self.finished.extend(float(x) for x in finished)
        self.completed.extend(float(x) for x in completed)
        curve = self.curve()
        return curve[len(curve) - len(finished) :]

    def curve(self) -> np.ndarray:
        return smoothed_success(self.finished, self.completed, self.window, self.min_episodes)

    @property
    def rate(self) -> float:
        """Smoothed rate after the latest update (NaN before any estimate)."""
        if not self.finished:
            return math.nan
        return float(self.curve()[-1])


# --- success within a horizon, by episode start (unbiased for a fixed policy) ---------------
Z95 = 1.959963984540054


def wilson_interval(successes: float, trials: float, z: float = Z95) -> tuple[float, float]:
    """95% Wilson score interval of a binomial rate (``(nan, nan)`` without trials)."""
    if trials <= 0:
        return math.nan, math.nan
    p = successes / trials
    denom = 1.0 + z * z / trials
    centre = (p + z * z / (2.0 * trials)) / denom
    half = z * math.sqrt(p * (1.0 - p) / trials + z * z / (4.0 * trials * trials)) / denom
    return float(max(0.0, centre - half)), float(min(1.0, centre + half))


def age_bins(horizon: int, num_steps: int) -> int:
    """Bins of :class:`HorizonTracker`: an episode that starts during update ``s`` has its
    outcome (success within ``horizon`` steps, or not) known by update ``s + bins - 1``."""
    return (horizon + num_steps) // num_steps + 2


def horizon_counts(
    update, done, completed, length, horizon: int, num_steps: int, bins: int, fresh=None
):
    """Per-age counts of one update's rollout (arrays ``(num_steps, num_envs)``, jnp or np).

    ``length`` is each env's episode length after the step (of the finished episode where
    ``done``). An episode is resolved when it ends within ``horizon`` steps (a success if it
    completed the plan) or when it is still running at step ``horizon + 1`` (a failure);
    its age is ``update`` minus the update its first step belonged to. With ``fresh``, only
    episodes that started from a fresh world count (frontier starts are left out).
    """
    import jax.numpy as jnp

    t = jnp.arange(num_steps)[:, None]
    start = update * num_steps + t - (length - 1)  # global step of the episode's first step
    age = jnp.clip(update - jnp.floor_divide(start, num_steps), 0, bins - 1).reshape(-1)
    ended = done & (length <= horizon)
    resolved = ended | (length == horizon + 1)
    if fresh is not None:
        resolved = resolved & fresh
    succeeded = resolved & ended & completed
    zeros = jnp.zeros((bins,), jnp.int32)
    return {
        "horizon_resolved": zeros.at[age].add(resolved.reshape(-1).astype(jnp.int32)),
        "horizon_succeeded": zeros.at[age].add(succeeded.reshape(-1).astype(jnp.int32)),
    }


FAILURES = ("starved", "killed", "out_of_time")
"""How a fresh episode can fail (:func:`failure_counts`)."""


def failure_counts(done, info, horizon: int, num_tasks: int) -> dict[str, Any]:
    """How the fresh episodes resolved in one rollout failed, counted by the plan step they
    were on (arrays ``(num_steps, num_envs)``, jnp or np; ``info`` as the flow env's), each
    ``(num_tasks + 1,)``: ``failed_starved``: died within ``horizon`` steps before the
    plan's end with food, drink or energy empty; ``failed_killed``: died so with all three
    left (mobs, lava, arrows); ``failed_out_of_time``: still short of the plan's end when
    passing the horizon, or ended by the game's time limit within it."""
    import jax.numpy as jnp

    length, fresh = info["episode_length"], info["fresh"]
    unfinished = done & ~info["plan_complete"] & (length <= horizon) & fresh
    died = unfinished & info["died"]
    causes = {
        "starved": died & info["starving"],
        "killed": died & ~info["starving"],
        "out_of_time": (unfinished & ~info["died"]) | ((length == horizon + 1) & fresh),
    }
    at_step = info["plan_step"][..., None] == jnp.arange(num_tasks + 1)
    return {
        f"failed_{cause}": (at_step & mask[..., None]).sum(axis=(0, 1))
        for cause, mask in causes.items()
    }


class HorizonTracker:
    """Success within ``horizon`` steps of fresh episodes, binned by the update they started.

    Each update reports, per age ``a`` (current update minus start update), how many
    episodes were *resolved* (ended within the horizon, or were still running when they
    passed it: a failure) and how many of those completed the plan within the horizon. An
    episode is resolved once, at most ``horizon + 1`` steps after it started, so the cohort
    of episodes started in update ``s`` is complete from update ``s + lag`` on. The rate
    after update ``u`` pools the last ``window`` complete cohorts; with fewer than
    ``min_episodes`` episodes it is NaN. Episodes are never weighted by their length, so
    for a fixed policy this estimates exactly what a fresh-episode evaluation measures.
    """

    def __init__(self, window: int, min_episodes: int, bins: int) -> None:
        self.window = window
        self.min_episodes = max(1, min_episodes)
        self.bins = bins
        self.lag = bins - 1
        self.resolved: list[float] = []  # by start update
        self.succeeded: list[float] = []
        self.updates = 0
        self.history: list[tuple[float, float, float, int]] = []  # (rate, lo, hi, n)

    def add(
        self, resolved_by_age: np.ndarray, succeeded_by_age: np.ndarray
    ) -> list[tuple[float, float, float, int]]:
        """Record updates (rows: updates, columns: ages); return (rate, lo, hi, episodes)
        after each of them."""
        resolved_by_age = np.asarray(resolved_by_age, np.float64).reshape(-1, self.bins)
        succeeded_by_age = np.asarray(succeeded_by_age, np.float64).reshape(-1, self.bins)
        out = []
        for res, suc in zip(resolved_by_age, succeeded_by_age, strict=True):
            u = self.updates
            self.resolved.append(0.0)
            self.succeeded.append(0.0)
            for age in range(self.bins):
                if u - age >= 0:
                    self.resolved[u - age] += res[age]
                    self.succeeded[u - age] += suc[age]
            self.updates += 1
            out.append(self.estimate())
        self.history.extend(out)
        return out

    def cohorts(self) -> tuple[int, int]:
        """[first, last] start updates the current estimate pools (last < first: none)."""
        last = self.updates - 1 - self.lag
        return max(0, last - self.window + 1), last

    def estimate(self) -> tuple[float, float, float, int]:
        first, last = self.cohorts()
        if last < 0:
            return math.nan, math.nan, math.nan, 0
        n = float(sum(self.resolved[first : last + 1]))
        k = float(sum(self.succeeded[first : last + 1]))
        if n < self.min_episodes:
            return math.nan, math.nan, math.nan, int(n)
        lo, hi = wilson_interval(k, n)
        return k / n, lo, hi, int(n)

    @property
    def rate(self) -> float:
        return self.estimate()[0]
