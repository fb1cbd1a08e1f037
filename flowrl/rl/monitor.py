"""Decisions the trainer takes between chunks: best checkpoint, collapse warning, early stop.

:class:`RunMonitor` is plain Python over the numbers the trainer already has (the success
estimate of :class:`flowrl.rl.success.HorizonTracker`, per-update episode returns), so
its logic is tested without training:

* **best**: the chunk whose estimate was highest; the trainer keeps that chunk's
  parameters (and optimiser state) and writes them as the checkpoint, not the last ones.
* **collapse warning**: success fell by more than ``collapse_drop`` from its peak while the
  episode return rose above its value at the peak: the policy earns reward without doing
  the task (reward hacking through shaping that is not potential-based).
* **early stop**: after ``early_stop_after`` of the budget, an estimate below
  ``early_stop_below``, or (with ``early_stop_patience`` > 0) no new best for that many
  chunks, stops a hopeless run.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Best:
    """The highest success estimate so far and where it was measured."""

    rate: float = math.nan
    low: float = math.nan
    high: float = math.nan
    episodes: int = 0
    update: int = 0  # updates done when the estimate was read
    policy_update: int = 0  # the update whose parameters the pooled episodes mostly ran
    chunk: int = -1

    def as_dict(self) -> dict[str, Any]:
        if math.isnan(self.rate):
            return {}
        return {
            "success_rate": self.rate,
            "success_interval": [self.low, self.high],
            "success_episodes": self.episodes,
            "update": self.update,
            "policy_update": self.policy_update,
        }


@dataclass
class RunMonitor:
    threshold: float
    budget_frames: int
    collapse_drop: float = 0.1
    early_stop_after: float = 0.25
    early_stop_below: float = 0.1
    early_stop_patience: int = 0
    best: Best = field(default_factory=Best)
    return_at_best: float = math.nan
    warnings: list[dict[str, Any]] = field(default_factory=list)
    stop_reason: str | None = None

    def observe(
        self,
        chunk: int,
        update: int,
        frames: int,
        estimate: tuple[float, float, float, int],
        recent_return: float,
        policy_update: int,
    ) -> bool:
        """Read one chunk's estimate; True if it is a new best (keep its parameters)."""
        rate, low, high, episodes = estimate
        if math.isnan(rate):
            return False
        improved = math.isnan(self.best.rate) or rate > self.best.rate
        if improved:
            self.best = Best(rate, low, high, episodes, update, policy_update, chunk)
            self.return_at_best = recent_return
        else:
            self._check_collapse(update, frames, rate, recent_return)
        return improved

    def _check_collapse(self, update: int, frames: int, rate: float, ret: float) -> None:
        if self.warnings or math.isnan(ret) or math.isnan(self.return_at_best):
            return
        if self.best.rate - rate > self.collapse_drop and ret > self.return_at_best:
            self.warnings.append(
                {
                    "kind": "success_fell_while_return_rose",
                    "update": update,
                    "frames": frames,
                    "peak_success": self.best.rate,
                    "peak_update": self.best.update,
                    "success": rate,
                    "return_at_peak": self.return_at_best,
                    "return": ret,
                    "message": (
                        f"success fell from {self.best.rate:.2f} (update {self.best.update}) "
                        f"to {rate:.2f} while the episode return rose from "
                        f"{self.return_at_best:.1f} to {ret:.1f}: the reward pays for "
                        "something other than the task (reward hacking?); the checkpoint "
                        "keeps the best parameters"
                    ),
                }
            )

    def should_stop_early(self, chunk: int, frames: int, rate: float) -> bool:
        """True (and ``stop_reason`` set) when the run looks hopeless."""
        if frames < self.early_stop_after * self.budget_frames or math.isnan(rate):
            return False
        share = f"{frames / max(self.budget_frames, 1):.0%} of the budget"
        if rate < self.early_stop_below:
            self.stop_reason = (
                f"success {rate:.2f} below {self.early_stop_below} after {share} ({frames} frames)"
            )
        elif (
            self.early_stop_patience > 0
            and chunk - self.best.chunk >= self.early_stop_patience
            and self.best.rate < self.threshold
        ):
            self.stop_reason = (
                f"no new best success for {self.early_stop_patience} chunks (best "
                f"{self.best.rate:.2f}) after {share} ({frames} frames)"
            )
        return self.stop_reason is not None
