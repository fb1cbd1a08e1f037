"""PPO update with expert minibatching: each expert learns from its own samples only."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from flowrl.rl.config import TrainConfig
from flowrl.rl.networks import ExpertActorCritic
from flowrl.rl.ppo import PPO, RunnerState, Transition
from flowrl.rl.train_env import make_flow_vec_env
from flowrl.skills.plan_module import PlanStep, build_plan_module, load_plan
from tests.conftest import CLASSIC_GAME, skill_source

T, N, E = 8, 8, 2


def make_ppo(minibatching: str) -> PPO:
    wood = skill_source("collect_wood.py")
    steps = [PlanStep("Collect Wood", wood, 1, 0), PlanStep("Collect More Wood", wood, 2, 1)]
    plan = load_plan(build_plan_module(steps, CLASSIC_GAME), CLASSIC_GAME)
    config = TrainConfig(
        num_envs=N, num_steps=T, num_minibatches=2, width=16, minibatching=minibatching
    )
    vec = make_flow_vec_env(config, CLASSIC_GAME, plan)
    network = ExpertActorCritic(E, vec.env.num_actions, width=16, depth=2)
    return PPO(config, vec, network)


@pytest.fixture(scope="module")
def ppos():
    return {mode: make_ppo(mode) for mode in ("expert", "mixed")}


def batch(ppo: PPO, expert: np.ndarray, seed: int) -> Transition:
    keys = jax.random.split(jax.random.PRNGKey(seed), 4)
    return Transition(
        obs=jax.random.uniform(keys[0], (T, N, ppo.obs_size)),
        expert=jnp.asarray(expert, jnp.int32),
        action=jax.random.randint(keys[1], (T, N), 0, ppo.vec_env.env.num_actions),
        log_prob=jnp.full((T, N), -2.8),
        value=jnp.zeros((T, N)),
        reward=jax.random.normal(keys[2], (T, N)),
        cut=jnp.zeros((T, N), bool),
    )


def runner(ppo: PPO) -> RunnerState:
    params = ppo.init_params(jax.random.PRNGKey(0))
    return RunnerState(
        params=params,
        opt_state=ppo.init_optimizer(params),
        vec_state=None,
        obs=None,
        key=jax.random.PRNGKey(1),
        update=jnp.zeros((), jnp.int32),
    )


def update(ppo: PPO, traj: Transition):
    # per-sample advantages and targets (no mixing across samples before the update)
    out, _ = jax.jit(ppo._update)(runner(ppo), traj, traj.reward, traj.reward + 1.0)
    return out


def expert_leaves(tree, e: int) -> list[np.ndarray]:
    return [np.asarray(leaf[e]) for leaf in jax.tree.leaves(tree)]


EXPERT = np.random.default_rng(0).integers(0, E, (T, N))


def test_expert_learns_only_from_its_own_samples(ppos):
    ppo = ppos["expert"]
    a = batch(ppo, EXPERT, seed=0)
    other = EXPERT == 1
    b_obs = jnp.where(other[..., None], a.obs + 1.0, a.obs)
    b = a.replace(obs=b_obs, reward=jnp.where(other, a.reward * 5 - 1, a.reward))
    before = expert_leaves(runner(ppo).params, 0)
    pa, pb = update(ppo, a).params, update(ppo, b).params
    moved = [not np.allclose(x, y) for x, y in zip(before, expert_leaves(pa, 0), strict=True)]
    assert any(moved)  # expert 0 trained
    for x, y in zip(expert_leaves(pa, 0), expert_leaves(pb, 0), strict=True):
        np.testing.assert_array_equal(x, y)
    assert any(
        not np.array_equal(x, y)
        for x, y in zip(expert_leaves(pa, 1), expert_leaves(pb, 1), strict=True)
    )


def test_mixed_minibatches_couple_the_experts(ppos):
    # the contrast that makes the test above meaningful: shared advantage normalisation
    ppo = ppos["mixed"]
    a = batch(ppo, EXPERT, seed=0)
    b = a.replace(reward=jnp.where(EXPERT == 1, a.reward * 5 - 1, a.reward))
    pa, pb = update(ppo, a).params, update(ppo, b).params
    assert any(
        not np.array_equal(x, y)
        for x, y in zip(expert_leaves(pa, 0), expert_leaves(pb, 0), strict=True)
    )


def test_expert_without_samples_is_left_exactly_alone(ppos):
    ppo = ppos["expert"]
    start = runner(ppo)
    out = update(ppo, batch(ppo, np.zeros((T, N)), seed=3))
    for tree_before, tree_after in ((start.params, out.params), (start.opt_state, out.opt_state)):
        for x, y in zip(expert_leaves(tree_before, 1), expert_leaves(tree_after, 1), strict=True):
            np.testing.assert_array_equal(x, y)


@pytest.mark.parametrize("mode", ["expert", "mixed"])
def test_rollout_values_match_the_critic_row_by_row(ppos, mode):
    ppo = ppos[mode]
    traj = batch(ppo, EXPERT, seed=5)
    params = runner(ppo).params
    values = jax.jit(ppo._values)(params, traj.obs, traj.expert)
    flat = traj.obs.reshape(T * N, -1)
    ref = ppo.network.apply(params, flat, traj.expert.reshape(-1), method="value")
    np.testing.assert_allclose(values.reshape(-1), ref, rtol=1e-5, atol=1e-6)


def test_success_horizon_grows_with_the_plan_and_stays_under_the_limit():
    from flowrl.rl.config import TrainConfig
    from flowrl.rl.train_env import success_horizon

    config = TrainConfig(success_horizon=1000, success_horizon_per_step=200)
    assert success_horizon(config, 10_000, plan_steps=3) == 1000  # short plans: the floor
    assert success_horizon(config, 10_000, plan_steps=7) == 1400
    assert success_horizon(config, 1200, plan_steps=7) == 1200  # capped at the episode limit
    flat = TrainConfig(success_horizon=1000, success_horizon_per_step=0)
    assert success_horizon(flat, 10_000, plan_steps=7) == 1000
    whole = TrainConfig(success_horizon=0)
    assert success_horizon(whole, 10_000, plan_steps=7) == 10_000
