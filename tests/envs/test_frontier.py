"""Frontier starts: states are saved where the plan enters its frontier step, finished
episodes restart there with the set probability, and success estimates of a fixed policy
(counted over fresh episodes) do not move when frontier starts are turned on."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from flowrl.envs.frontier import FrontierVecEnv
from flowrl.rl.config import TrainConfig
from flowrl.rl.networks import ExpertActorCritic
from flowrl.rl.ppo import PPO
from flowrl.rl.train_env import frontier_step, make_flow_vec_env
from flowrl.rl.trainer import frontier_share
from flowrl.skills.plan_module import PlanStep, build_plan_module, load_plan
from tests.conftest import CLASSIC_GAME, skill_source

# step 0 collects one wood (rare for a random policy within the horizon); step 1 wants the
# same wood, so from a saved frontier state the plan completes on the next step
HORIZON = 48
CONFIG = TrainConfig(
    num_envs=32,
    num_steps=16,
    num_minibatches=2,
    update_epochs=1,
    width=16,
    depth=1,
    updates_per_chunk=8,
    lr=0.0,  # a fixed policy: the parameters never move
    max_episode_steps=HORIZON,
    success_horizon=HORIZON,
    frontier_share=1.0,
)


@pytest.fixture(scope="module")
def ppo() -> PPO:
    wood = skill_source("collect_wood.py")
    steps = [PlanStep("Collect Wood", wood, 1, 0), PlanStep("Collect Wood Again", wood, 1, 1)]
    plan = load_plan(build_plan_module(steps, CLASSIC_GAME), CLASSIC_GAME)
    vec = make_flow_vec_env(CONFIG, CLASSIC_GAME, plan, frontier=1)
    assert isinstance(vec, FrontierVecEnv)
    network = ExpertActorCritic(2, vec.env.num_actions, width=16, depth=1)
    return PPO(CONFIG, vec, network)


def run_fixed_policy(ppo: PPO, prob: float, chunks: int) -> dict[str, float]:
    runner = ppo.init(jax.random.PRNGKey(7))
    runner = runner.replace(vec_state=runner.vec_state.replace(prob=jnp.float32(prob)))
    params = jax.tree.map(np.asarray, runner.params)
    totals = {"resolved": 0, "succeeded": 0, "frontier": 0, "frontier_done": 0}
    for _ in range(chunks):
        runner, m = ppo.train_chunk(runner)
        m = jax.device_get(m)
        totals["resolved"] += int(m["horizon_resolved"].sum())
        totals["succeeded"] += int(m["horizon_succeeded"].sum())
        totals["frontier"] += int(m["frontier_episodes"].sum())
        totals["frontier_done"] += int(m["frontier_completed"].sum())
    moved = jax.tree.map(lambda a, b: float(np.abs(np.asarray(a) - b).max()), runner.params, params)
    assert max(jax.tree.leaves(moved)) == 0.0, "lr=0 must keep the policy fixed"
    totals["saved"] = int(runner.vec_state.saved)
    return totals


def test_fresh_success_is_unchanged_by_frontier_starts(ppo: PPO) -> None:
    off = run_fixed_policy(ppo, 0.0, chunks=6)
    on = run_fixed_policy(ppo, 1.0, chunks=6)
    # frontier starts happened, and from there the plan completes almost always
    assert off["frontier"] == 0 and on["saved"] > 0 and on["frontier"] > 50
    assert on["frontier_done"] / on["frontier"] > 0.9
    p_off = off["succeeded"] / off["resolved"]
    p_on = on["succeeded"] / on["resolved"]
    pooled = (off["succeeded"] + on["succeeded"]) / (off["resolved"] + on["resolved"])
    se = math.sqrt(pooled * (1 - pooled) * (1 / off["resolved"] + 1 / on["resolved"]))
    assert abs(p_on - p_off) <= 3 * se, (p_off, p_on, se)
    # the test can fail: counting the frontier episodes too would move the estimate far
    leaky = (on["succeeded"] + on["frontier_done"]) / (on["resolved"] + on["frontier"])
    assert abs(leaky - p_off) > 3 * se, (p_off, leaky, se)


def test_frontier_step_is_the_first_step_not_learned() -> None:
    class P:
        names = ("Collect Wood", "Place Table", "Collect Wood", "Make Pickaxe")

    assert frontier_step(P(), {"Collect Wood", "Place Table"}) == 3
    assert frontier_step(P(), {"Collect Wood"}) == 1
    assert frontier_step(P(), set(P.names)) == 3  # all learned (a resumed retry): the last
    assert frontier_step(P(), set()) == 0  # nothing learned: fresh starts are the frontier


def test_frontier_share_falls_as_the_frontier_step_is_mastered() -> None:
    cfg = TrainConfig(frontier_share=0.5, frontier_min_share=0.1, success_threshold=0.8)
    assert frontier_share(cfg, math.nan) == 0.5
    assert frontier_share(cfg, 0.0) == 0.5
    assert frontier_share(cfg, 0.4) == pytest.approx(0.3)
    assert frontier_share(cfg, 0.8) == pytest.approx(0.1) == frontier_share(cfg, 1.0)


def test_weakest_step_is_the_one_fresh_episodes_complete_least_often() -> None:
    from flowrl.rl.trainer import weakest_step

    # a 4-step plan: episodes that ended on step 0, 1, 2, 3, or completed it (4)
    counts = np.array([5, 1, 10, 2, 50])  # reached: 68, 63, 62, 52, 50
    assert weakest_step(counts, min_episodes=1) == 2  # 52/62 below 62/63 and 50/52
    assert weakest_step(counts, min_episodes=63) == 1  # only step 1 has enough arrivals
    assert weakest_step(counts, min_episodes=100) is None
    assert weakest_step(np.array([3, 0]), min_episodes=1) is None  # a one-step plan


def test_states_are_saved_where_the_target_step_begins(ppo: PPO) -> None:
    """The trainer moves the target between chunks: only arrivals at it are saved."""
    vec = ppo.vec_env
    _, state = vec.reset(jax.random.PRNGKey(0))
    n = vec.num_envs
    arrived = jnp.zeros(n, bool).at[3].set(True)
    info = {"task_done": arrived, "plan_step": jnp.where(arrived, 1, 0)}
    save = jax.jit(vec._save)
    key, obs, done = jax.random.PRNGKey(1), jnp.zeros((n, ppo.obs_size)), jnp.zeros(n, bool)
    assert int(state.target) == 1 and int(save(key, state, obs, done, info).saved) == 1
    elsewhere = state.replace(target=jnp.asarray(2, jnp.int32))
    assert int(save(key, elsewhere, obs, done, info).saved) == 0
