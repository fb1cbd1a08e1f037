"""Fabrax runs in the skill runtime unchanged: flow env features and plan steps, and the
validator accepts Classic-signature skills that use Fabrax blocks and items."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import pytest

from flowrl.envs.fabrax.constants import Action, BlockType
from flowrl.envs.fabrax.scenario import arena
from flowrl.envs.flow_env import FlowEnv
from flowrl.envs.games import get_game
from flowrl.skills.plan_module import PlanStep, build_plan_module, load_plan
from flowrl.skills.validator import validate_many
from tests.conftest import skill_source

FABRAX = "Fabrax-Symbolic-v1"
GAME = get_game(FABRAX)

COLLECT_COPPER = '''"""Collect Copper: mine n copper ore with a stone pickaxe."""


def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.copper >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    dist = jnp.abs(closest_blocks[BlockType.COPPER.value, :, 0]).sum()
    dist_prev = jnp.abs(closest_blocks_prev[BlockType.COPPER.value, :, 0]).sum()
    approach = jnp.clip(dist_prev - dist, -1, 1) * 0.01
    return inventory_diff.copper * 1.0 + approach + health_penalty


def task_network_number():
    return 0
'''

SMELT_GLASS = '''"""Smelt Glass: make n glass at a kiln."""


def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return jnp.logical_and(inventory.glass >= n, achievements[Achievement.SMELT_GLASS.value])


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    return inventory_diff.glass * 1.0 + achievements_diff[Achievement.SMELT_GLASS.value] * 1.0 + health_penalty


def task_network_number():
    return 1
'''


@pytest.fixture(scope="module")
def flow():
    module = build_plan_module(
        [
            PlanStep("Collect Wood", skill_source("collect_wood.py"), 1, 0),
            PlanStep("Collect Copper", COLLECT_COPPER, 1, 1),
        ],
        GAME,
    )
    env = FlowEnv(GAME, load_plan(module, GAME), completion_bonus=10.0)
    return env, jax.jit(env.step)


def test_flow_env_runs_a_plan_over_fabrax_blocks(flow):
    env, step = flow
    assert env.num_actions == 44 and env.observation_size() == 2001
    _, state = env.reset(jax.random.PRNGKey(0))
    game = arena(
        state.env_state,
        blocks={"left": BlockType.TREE, "right": BlockType.COPPER},
        inventory={"wood_pickaxe": 1, "stone_pickaxe": 1},
        facing="left",
    )
    state = env.init_state(game)
    copper = state.features.closest_blocks[BlockType.COPPER.value, :, 0]
    assert copper.tolist() == [0, 1]  # the copper ore right of the player is seen
    key = jax.random.PRNGKey(1)
    _, state, reward, done, info = step(key, state, jnp.asarray(Action.DO.value))
    assert bool(info["task_done"]) and int(info["plan_step"]) == 1 and not bool(done)
    assert float(reward) >= 10.0
    game = state.env_state.replace(player_direction=jnp.asarray(Action.RIGHT.value, jnp.int32))
    state = state.replace(env_state=game)
    _, state, reward, done, info = step(key, state, jnp.asarray(Action.DO.value))
    assert int(state.env_state.inventory.copper) == 1
    assert bool(info["plan_complete"]) and bool(done)
    assert abs(float(reward) - (10.0 + 1.0 - 0.01)) < 1e-4  # bonus + copper - approach (ore gone)
    assert bool(info["achievements"][25])  # COLLECT_COPPER


@pytest.mark.slow
def test_validator_accepts_fabrax_skills_and_rejects_unknown_items():
    from flowrl.llm.fabrax.llm import env_name, generate_graph

    assert env_name() == FABRAX
    _, graph = generate_graph(llm_name="offline")  # the offline chain on Fabrax
    offline = graph.evaluate()
    assert offline["spec"]["name"] == "Collect Wood"
    broken = COLLECT_COPPER.replace("inventory.copper >= n", "inventory.bronze >= n")
    sources = [skill_source("collect_wood.py"), COLLECT_COPPER, SMELT_GLASS, offline["source"]]
    *good, bad = validate_many([*sources, broken], GAME)
    assert all(r.ok for r in good), [r.feedback() for r in good]
    assert not bad.ok and "bronze" in bad.feedback()
