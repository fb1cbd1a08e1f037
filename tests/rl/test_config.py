"""Trainer config: profiles, YAML overrides, validation, hashing."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowrl.rl.config import TrainConfig, load_config

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_follow_craftax_baselines():
    c = TrainConfig()
    assert (c.lr, c.gamma, c.gae_lambda, c.clip_eps) == (2e-4, 0.99, 0.8, 0.2)
    assert (c.ent_coef, c.vf_coef, c.update_epochs, c.num_minibatches, c.num_steps) == (
        0.01,
        0.5,
        4,
        8,
        64,
    )
    assert c.success_threshold == 0.8 and c.reset_mode == "pool"


def test_file_then_overrides(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("num_envs: 16\ntotal_timesteps: 1e5\nwidth: 32\n")
    c = load_config("gpu", path, width=64, seed=None)
    assert (c.num_envs, c.total_timesteps, c.width) == (16, 100_000, 64)
    assert isinstance(c.total_timesteps, int)


def test_rejects_bad_settings(tmp_path):
    with pytest.raises(ValueError, match="unknown training setting"):
        load_config("cpu", None, num_env=3)
    with pytest.raises(ValueError, match="routing"):
        TrainConfig(routing="magic")
    with pytest.raises(ValueError, match="divide"):
        TrainConfig(num_envs=3, num_steps=3, num_minibatches=8)


def test_hash_is_stable_and_sensitive():
    assert TrainConfig().hash() == TrainConfig().hash()
    assert TrainConfig().hash() != TrainConfig(lr=1e-4).hash()
