"""End to end: `flowrl train` and `flowrl evaluate` on tiny configs write every artifact."""

from __future__ import annotations

import csv
import json
import math

import jax
import numpy as np
import pytest

from flowrl.cli import main
from flowrl.envs.games import get_game
from flowrl.rl.checkpoint import load_checkpoint, load_optimizer_state, save_checkpoint
from flowrl.rl.trainer import CSV_FIELDS

pytestmark = pytest.mark.slow

CLASSIC = "Craftax-Classic-Symbolic-v1"


def test_train_writes_checkpoint_and_metrics(rl_tiny_run):
    out = rl_tiny_run["out"]
    ckpt = out / "checkpoint"
    assert sorted(p.name for p in ckpt.iterdir()) == [
        "metadata.json",
        "opt_state.msgpack",
        "params.msgpack",
        "plan_module.py",
    ]
    params, meta = load_checkpoint(ckpt)
    assert meta["skills"] == {"Collect Wood": 0, "Collect More Wood": 1}
    assert meta["plan"]["counts"] == [1, 2]
    assert meta["frames"] == 4 * 8 * 16 and meta["updates"] == 4
    assert sum(meta["frames_per_expert"]) == meta["frames"]
    assert sum(meta["frames_per_skill"].values()) == meta["frames"]
    assert meta["success"] in (True, False)
    assert set(meta["versions"]) >= {"flowrl", "jax", "flax", "craftax"}
    assert len(meta["config_hash"]) == 16 and meta["config"]["width"] == 32
    failures = meta["failures"]  # how failed fresh episodes ended, by plan step
    if failures:
        causes = ("starved", "killed", "out_of_time")
        assert all(len(failures[c]) == 2 for c in causes)
        assert 0 <= sum(sum(failures[c]) for c in causes) <= 1
    for leaf in jax.tree.leaves(params):
        assert leaf.shape[0] == 2  # one slice per expert
    with open(out / "train_metrics.csv") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_FIELDS
    assert [int(r["update"]) for r in rows] == [1, 2, 3, 4]
    assert [r["verdict"] for r in rows[:-1]] == ["", "", ""]
    assert rows[-1]["verdict"] == ("success" if meta["success"] else "failure")
    for r in rows:  # the verdict column and `reached` use the same operator
        rate = float(r["success_rate"])
        assert r["reached"] == str(not math.isnan(rate) and rate >= 0.8)


def test_warm_start_through_train(rl_tiny_run, tmp_path):
    """A second run on a plan that reuses one skill loads that expert by name."""
    from flowrl.rl.config import load_config
    from flowrl.rl.trainer import train
    from flowrl.skills.plan_module import load_plan_file

    plan = load_plan_file(rl_tiny_run["plan"], get_game(CLASSIC))
    renamed = plan.__class__(
        names=("Collect More Wood", "Something New"),  # swapped expert slots
        is_done=plan.is_done,
        reward=plan.reward,
        experts=plan.experts,
        counts=plan.counts,
        source=plan.source,
    )
    old_params, _ = load_checkpoint(rl_tiny_run["out"] / "checkpoint")
    config = load_config(None, rl_tiny_run["config"], total_timesteps=1)
    # total_timesteps=1 -> one chunk; check the copy before training moves it: lr 0
    # seed 1: the fresh expert must differ from the fixture's (whose checkpoint may hold its
    # initial parameters: the best estimate of a 4-update run is of the starting policy)
    config = config.replace(lr=0.0, anneal_lr=False, seed=1)
    result = train(
        renamed,
        CLASSIC,
        tmp_path / "skill_1",
        config,
        init=rl_tiny_run["out"] / "checkpoint",
        progress=False,
    )
    assert result.warm_started == ["Collect More Wood"]
    assert result.warm_started_optimizer == ["Collect More Wood"]
    new_params, meta = load_checkpoint(result.checkpoint_dir)
    assert meta["init"].endswith("checkpoint") and meta["warm_started"] == ["Collect More Wood"]
    fresh = []
    for new, old in zip(jax.tree.leaves(new_params), jax.tree.leaves(old_params), strict=True):
        np.testing.assert_array_equal(new[0], old[1])  # old expert 1 -> new expert 0
        fresh.append(not np.array_equal(new[1], old[1]))
    assert any(fresh)  # "Something New" is fresh (its kernels; biases start at zero)
    # the copied expert's Adam step count continued from the old one (1 chunk here, 2 before)
    old_count = load_optimizer_state(rl_tiny_run["out"] / "checkpoint")["1"]["count"]
    new_count = load_optimizer_state(result.checkpoint_dir)["1"]["count"]
    assert new_count[0] > old_count[1] > new_count[1]
    assert (
        meta["optimizer"]["per_expert"] and meta["warm_started_optimizer"] == meta["warm_started"]
    )
    # frames of a warm-started skill accumulate across runs
    _, old_meta = load_checkpoint(rl_tiny_run["out"] / "checkpoint")
    assert (
        meta["frames_per_skill"]["Collect More Wood"]
        >= (old_meta["frames_per_skill"]["Collect More Wood"])
    )


def test_evaluate_writes_eval_json(rl_tiny_run, tmp_path):
    out = tmp_path / "eval"
    argv = ["evaluate", "--checkpoint", str(rl_tiny_run["out"] / "checkpoint")]
    assert main([*argv, "--out", str(out), "--num_episodes", "4", "--no_gif"]) == 0
    result = json.loads((out / "eval.json").read_text())
    assert result["plan"] == ["Collect Wood", "Collect More Wood"]
    for policy in ("greedy", "sampled"):
        r = result[policy]
        assert r["episodes"] == 4 and r["unfinished"] == 0
        assert 0.0 <= r["success_pct"] <= 100.0
        assert [s["name"] for s in r["steps"]] == result["plan"]
        assert r["steps"][0]["reached_pct"] == 100.0
        assert r["steps"][1]["reached_pct"] == r["steps"][0]["completed_pct"]
        died = sum(s["died_pct"] for s in r["steps"])
        assert math.isclose(died, r["died_pct"]) and died <= 100.0 - r["success_pct"]
        assert "collect_wood" in r["achievements_pct"]
        assert 1 <= r["episode_length_mean"] <= 24


TRIVIAL_SKILL = """
def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= 0


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    return health_penalty


def task_network_number():
    return 0
"""


def test_evaluate_renders_a_successful_episode(rl_tiny_run, tmp_path):
    """A plan that completes on the first step always succeeds: the GIF must be written."""
    import imageio.v2 as imageio

    from flowrl.skills.plan_module import PlanStep, build_plan_module

    params, meta = load_checkpoint(rl_tiny_run["out"] / "checkpoint")
    source = build_plan_module(
        [PlanStep("Anything", TRIVIAL_SKILL, 1, 0), PlanStep("Again", TRIVIAL_SKILL, 1, 1)],
        get_game(CLASSIC),
    )
    meta["plan"]["names"] = ["Anything", "Again"]
    meta["skills"] = {"Anything": 0, "Again": 1}
    save_checkpoint(tmp_path / "ckpt", params, meta, source)
    argv = ["evaluate", "--checkpoint", str(tmp_path / "ckpt"), "--out", str(tmp_path / "ev")]
    assert main([*argv, "--num_episodes", "2"]) == 0
    result = json.loads((tmp_path / "ev" / "eval.json").read_text())
    assert result["greedy"]["success_pct"] == 100.0
    assert result["greedy"]["episode_length_mean"] == 2.0
    # the achievement rollout plays on past the plan's completion, to the episode limit
    played_on = result["achievements"]
    assert played_on["horizon"] == 24 and played_on["episode_length_mean"] > 2.0
    assert played_on["policy"] == "sampled" and 0.0 <= played_on["crafter_score"] <= 100.0
    gif = result["gif"]
    assert gif["policy"] == "greedy" and gif["replay_success"] and gif["frames"] == 3
    frames = imageio.mimread(tmp_path / "ev" / "rollout.gif")
    assert len(frames) == 3 and frames[0].shape[0] > 100


def test_fixed_policy_estimate_matches_fresh_episodes(rl_tiny_run, tmp_path):
    """With learning off (lr 0: the untrained policy stays fixed), the trainer's success
    within the horizon and a fresh-episode evaluation of its checkpoint agree within their
    95% intervals. Reuses the warm-start test's compile (lr 0, no annealing)."""
    from flowrl.rl.config import load_config
    from flowrl.rl.rollout import load_policy, make_rollout
    from flowrl.rl.success import wilson_interval
    from flowrl.rl.trainer import train

    config = load_config(None, rl_tiny_run["config"], total_timesteps=8 * 16 * 48)
    config = config.replace(lr=0.0, anneal_lr=False, success_window=48, early_stop_below=0.0)
    result = train(rl_tiny_run["plan"], CLASSIC, tmp_path / "fixed", config, progress=False)
    assert result.success_horizon == 24
    with open(result.metrics_csv) as handle:
        last = list(csv.DictReader(handle))[-1]  # the estimate pooling the whole run
    rate, lo, hi = (float(last[k]) for k in ("success_rate", "success_low", "success_high"))
    assert int(last["success_episodes"]) >= 200 and lo <= rate <= hi

    env, network, params, meta = load_policy(result.checkpoint_dir)
    assert meta["success_horizon"] == 24 and meta["success_policy"] == "sampled"
    assert meta["best"]["success_rate"] == meta["success_rate"] == result.success_rate
    assert meta["last_success_rate"] is not None and meta["stopped_early"] is None
    rollout = make_rollout(env, network, 4)  # the shape test_evaluate_writes_eval_json uses
    hits = n = 0
    for seed in range(50):
        keys = jax.random.split(jax.random.PRNGKey(1000 + seed), 4)
        ep = jax.device_get(rollout(params, keys, jax.numpy.asarray(False)))
        hits += int((np.asarray(ep["success"]) & (np.asarray(ep["length"]) <= 24)).sum())
        n += 4
    eval_lo, eval_hi = wilson_interval(hits, n)
    print(f"train {rate:.3f} [{lo:.3f}, {hi:.3f}] n={last['success_episodes']}")
    print(f"eval {hits / n:.3f} [{eval_lo:.3f}, {eval_hi:.3f}] n={n}")
    assert eval_lo <= hi and lo <= eval_hi  # the intervals overlap


def test_hopeless_slot_adds_the_game_reward_then_stops_early(rl_tiny_run, tmp_path):
    """The train stage on a plan an untrained, frozen policy (lr 0) almost never completes:
    after 25% of the budget its estimate is below 0.1, so the game's reward is added
    (game_reward_rescue) instead of stopping; still hopeless 25% later, it stops and the
    slot is rejected with that reason and the frames saved."""
    from flowrl.pipeline.stages.train import train as train_stage
    from flowrl.rl.config import read_config_file

    settings = {**read_config_file(rl_tiny_run["config"]), "lr": 0.0, "anneal_lr": False}
    settings["total_timesteps"] = 8 * 16 * 32  # 32 updates, 16 chunks
    plan_json = tmp_path / "plan.json"
    plan_json.write_text(json.dumps({"status": "ok", "steps": []}))
    slot = tmp_path / "skill_0"
    doc = train_stage(CLASSIC, tmp_path, plan_json, rl_tiny_run["plan"], slot, None, settings)
    assert doc["status"] == "rejected" and doc["stage"] == "train"
    assert doc["reason"].startswith("stopped early: success 0.0") and "below 0.1" in doc["reason"]
    budget = 8 * 16 * 32
    assert budget // 4 <= doc["game_reward_from"] < budget // 2  # rescued after >= 25% ...
    assert doc["game_reward_from"] + budget // 4 <= doc["frames"] < budget  # ... stopped later
    assert doc["frames_saved"] == budget - doc["frames"]
    assert f"{doc['frames_saved']} frames of the budget saved" in doc["reason"]
    _, meta = load_checkpoint(slot / "checkpoint")
    assert meta["stopped_early"] == doc["stopped_early"] and meta["success"] is False
    assert meta["config"]["game_reward_weight"] == 1.0
    assert meta["game_reward_from"] == doc["game_reward_from"]
    assert meta["game_reward_experts"] == [1]  # the plan's last step's expert only
