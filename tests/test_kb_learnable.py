"""Knowledge-base skill code is learnable, not only valid: a 2-skill KB plan trains to the
threshold on a tiny CPU config (the full table is benchmarks/kb_learnability.py)."""

from __future__ import annotations

import csv
import math

import pytest

from flowrl.envs.games import get_game
from flowrl.rl.config import load_config
from flowrl.rl.trainer import train
from flowrl.skills.library import kb_library
from flowrl.skills.plan_module import load_plan
from flowrl.skills.planner import plan_skill

pytestmark = pytest.mark.slow

CLASSIC = get_game("Craftax-Classic-Symbolic-v1")


def test_collect_wood_and_place_crafting_table_train_to_the_threshold(tmp_path) -> None:
    """Collect Wood x2 then Place Crafting Table, both KB code, from scratch: the estimate
    starts far below 0.8 (a 200-step horizon, so luck does not pass) and reaches it."""
    planned = plan_skill(CLASSIC, kb_library(CLASSIC), "Place Crafting Table")
    assert [s["skill"] for s in planned.doc["steps"]] == ["Collect Wood", "Place Crafting Table"]
    config = load_config(
        "cpu",
        total_timesteps=300_000,  # measured: ~95k frames to the threshold
        num_envs=32,
        num_steps=32,
        width=64,
        num_minibatches=4,
        updates_per_chunk=4,
        min_episodes=8,
        success_horizon=200,
    )
    result = train(load_plan(planned.module_source(), CLASSIC), CLASSIC, tmp_path, config)
    with open(result.metrics_csv) as fh:
        curve = [float(r["success_rate"]) for r in csv.DictReader(fh)]
    first = next(r for r in curve if not math.isnan(r))
    assert first < 0.4, f"an untrained policy should rarely finish in 200 steps ({first:.2f})"
    assert result.success, f"best estimate {result.success_rate:.2f} after {result.frames:,}"
    assert result.success_rate >= config.success_threshold
    assert result.frames < config.total_timesteps  # stopped at the threshold
