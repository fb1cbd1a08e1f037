"""Achievement success over full-length episodes, and the Crafter score.

The Crafter score (Hafner 2021, "Benchmarking the Spectrum of Agent Capabilities") is the
geometric mean of the per-achievement success rates ``s_i`` in percent, shifted by one so
that an achievement nobody unlocks counts as 0 rather than sinking the mean:
``exp(mean(ln(1 + s_i))) - 1``. It lies in [0, 100].
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

# the policy the achievement table is about (Craftax baselines evaluate sampled actions)
ACHIEVEMENT_POLICY = "sampled"


def crafter_score(rates_pct: Iterable[float]) -> float:
    """``exp(mean(ln(1 + s_i))) - 1`` over success rates ``s_i`` in percent (0..100)."""
    rates = np.asarray(list(rates_pct), dtype=np.float64)
    if rates.size == 0:
        raise ValueError("the Crafter score needs at least one achievement rate")
    if (rates < 0).any() or (rates > 100).any():
        raise ValueError(f"success rates must be percentages in [0, 100], got {rates.tolist()}")
    return float(math.exp(np.log1p(rates).mean()) - 1.0)


def achievement_summary(
    names: list[str],
    unlocked: np.ndarray,
    horizon: int,
    lengths: np.ndarray | None = None,
    policy: str = ACHIEVEMENT_POLICY,
) -> dict[str, Any]:
    """Per-achievement success (%) over episodes (``unlocked``: episodes x achievements,
    bool), the Crafter score of those rates, and the mean episode length."""
    unlocked = np.asarray(unlocked, bool)
    pct = {name: float(v) for name, v in zip(names, unlocked.mean(axis=0) * 100.0, strict=True)}
    return {
        "policy": policy,
        "episodes": int(unlocked.shape[0]),
        "horizon": int(horizon),
        "episode_length_mean": None if lengths is None else float(np.mean(lengths)),
        "pct": pct,
        "crafter_score": crafter_score(pct.values()),
    }


def rates_of(evaluation: Mapping[str, Any]) -> dict[str, float]:
    """The per-achievement rates (%) of an eval.json (empty when it has none)."""
    return dict((evaluation.get("achievements") or {}).get("pct") or {})
