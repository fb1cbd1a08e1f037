"""Plan success rate: smoothed over a window of updates, NaN-safe, one stopping operator.

Success rate = completed plans / finished episodes, both summed over the last ``window``
updates. With fewer than ``min_episodes`` finished episodes in the window there is no
estimate (NaN), which is never read as failure nor as success. :func:`reached` is the
single comparison used for early stopping and for the final verdict.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

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
    return not math.isnan(rate) and rate >= threshold


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
