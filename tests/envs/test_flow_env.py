"""Flow env semantics on real Craftax-Classic states: step advance, per-step reward, plan end."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from craftax.craftax_classic.constants import Action, BlockType

from flowrl.envs.flow_env import FlowState

RIGHT = 2  # index into craftax DIRECTIONS: [0, 1]


def facing_tree(env, seed: int = 0) -> FlowState:
    """A fresh world with a tree right of the player and the player facing it."""
    _, state = env.reset(jax.random.PRNGKey(seed))
    game = state.env_state
    r, c = (int(x) for x in game.player_position)
    game = game.replace(
        map=game.map.at[r, c + 1].set(BlockType.TREE.value),
        player_direction=jnp.asarray(RIGHT, jnp.int32),
        mob_map=game.mob_map.at[r, c + 1].set(False),
    )
    return env.init_state(game)


def test_advances_exactly_when_done_turns_true(classic_marker_env, classic_marker_step):
    env, step = classic_marker_env, classic_marker_step
    state = facing_tree(env)
    key = jax.random.PRNGKey(1)
    # NOOP: nothing collected, still on step 0, step 0's marker paid, no bonus.
    _, state, reward, done, info = step(key, state, Action.NOOP.value)
    assert int(info["plan_step"]) == 0 and not bool(info["task_done"])
    assert float(reward) == 0.25 and not bool(done)
    # DO on the tree: 1 wood -> step 0 completes; reward is step 0's marker + bonus.
    _, state, reward, done, info = step(key, state, Action.DO.value)
    assert int(state.env_state.inventory.wood) == 1
    assert bool(info["task_done"]) and int(info["plan_step"]) == 1
    assert int(info["prev_plan_step"]) == 0
    np.testing.assert_allclose(float(reward), 0.25 + 10.0)
    assert not bool(done)
    # Now on step 1: its own marker is paid while it is not done.
    _, state, reward, done, info = step(key, state, Action.NOOP.value)
    assert float(reward) == 0.5 and int(info["plan_step"]) == 1 and not bool(done)


def test_plan_completion_ends_episode(classic_marker_env, classic_marker_step):
    env, step = classic_marker_env, classic_marker_step
    state = facing_tree(env, seed=2)
    key = jax.random.PRNGKey(3)
    rewards, dones, steps = [], [], []
    for _ in range(2):  # the tree turns to grass when mined: restore it between hits
        game = state.env_state
        r, c = (int(x) for x in game.player_position)
        state = state.replace(
            env_state=game.replace(map=game.map.at[r, c + 1].set(BlockType.TREE.value))
        )
        _, state, reward, done, info = step(key, state, Action.DO.value)
        rewards.append(float(reward))
        dones.append(bool(done))
        steps.append(int(info["plan_step"]))
    assert steps == [1, 2]
    assert dones == [False, True]
    assert bool(info["plan_complete"]) and not bool(info["game_over"])
    np.testing.assert_allclose(rewards, [10.25, 10.5])
    assert int(info["episode_length"]) == 2
    np.testing.assert_allclose(float(info["episode_return"]), 20.75)


def test_game_reward_goes_only_to_the_chosen_experts(classic_marker_env):
    """The rescue's env pays the game's reward to the expert being learned only: collecting
    the first wood (an achievement: game reward 1) on step 0 pays expert 0 nothing extra."""
    from flowrl.envs.flow_env import FlowEnv
    from tests.conftest import CLASSIC

    plan = classic_marker_env.plan
    env = FlowEnv(CLASSIC, plan, completion_bonus=10.0, game_reward_weight=1.0,
                  game_reward_experts=(1,))  # fmt: skip
    assert env.game_reward_mask.tolist() == [0.0, 1.0]
    _, _, reward, _, info = jax.jit(env.step)(
        jax.random.PRNGKey(0), facing_tree(env, seed=4), Action.DO.value
    )
    assert float(info["game_reward"]) > 0 and bool(info["task_done"])
    np.testing.assert_allclose(float(reward), 0.25 + 10.0)  # no game reward on step 0
    every = FlowEnv(CLASSIC, plan, game_reward_weight=1.0)
    assert every.game_reward_mask.tolist() == [1.0, 1.0]


def test_dying_costs_the_acting_skill_the_death_penalty(classic_marker_env):
    """Walking into lava (health set to 0) ends the episode as a death and takes the
    penalty from the acting step's reward; the same step without it pays the marker."""
    from flowrl.envs.flow_env import FlowEnv
    from tests.conftest import CLASSIC

    env = FlowEnv(CLASSIC, classic_marker_env.plan, death_penalty=2.0)
    _, state = env.reset(jax.random.PRNGKey(5))
    game = state.env_state
    r, c = (int(x) for x in game.player_position)
    lava = env.init_state(
        game.replace(
            map=game.map.at[r, c + 1].set(BlockType.LAVA.value),
            mob_map=game.mob_map.at[r, c + 1].set(False),
        )
    )
    step = jax.jit(env.step)
    _, _, reward, done, info = step(jax.random.PRNGKey(0), lava, Action.RIGHT.value)
    assert bool(done) and bool(info["died"]) and not bool(info["plan_complete"])
    np.testing.assert_allclose(float(reward), 0.25 - 2.0, atol=0.2)  # marker, penalty, health
    _, _, reward, done, info = step(jax.random.PRNGKey(0), lava, Action.NOOP.value)
    assert not bool(done) and not bool(info["died"])
    np.testing.assert_allclose(float(reward), 0.25)


def test_expert_routing_follows_plan(classic_marker_env):
    env = classic_marker_env
    assert env.plan.experts == (0, 1)
    idx = env.expert_index(jnp.array([0, 1, 2]))
    assert idx.tolist() == [0, 1, 1]


def test_info_carries_game_signals(classic_marker_env, classic_marker_step):
    state = facing_tree(classic_marker_env, seed=4)
    _, _, _, _, info = classic_marker_step(jax.random.PRNGKey(0), state, Action.DO.value)
    assert info["achievements"].shape == (22,)
    assert bool(info["achievements"][0])  # COLLECT_WOOD unlocked by the DO
    assert float(info["game_reward"]) > 0  # craftax rewards the first achievement


@pytest.mark.slow
@pytest.mark.parametrize(
    ("env_name", "skill"),
    [
        ("Craftax-Classic-Symbolic-v1", "collect_wood.py"),
        ("Craftax-Symbolic-v1", "craftax_collect_wood.py"),
    ],
)
def test_jit_vmap_64_envs(env_name, skill):
    from flowrl.envs.flow_env import FlowEnv
    from flowrl.envs.games import get_game
    from flowrl.envs.resets import ResetConfig, VecEnv
    from flowrl.skills.plan_module import PlanStep, build_plan_module, load_plan
    from tests.conftest import skill_source

    game = get_game(env_name)
    source = skill_source(skill)
    module = build_plan_module(
        [PlanStep("Collect Wood", source, 1, 0), PlanStep("Collect More Wood", source, 3, 1)],
        game,
    )
    env = FlowEnv(game, load_plan(module, game), max_episode_steps=6)
    # no resets: world generation compiles once (reset), not again inside the step program;
    # reset strategies have their own tests (test_resets.py)
    vec = VecEnv(env, 64, ResetConfig(mode="none"))

    @jax.jit
    def rollout(key):
        _obs, state = vec.reset(key)

        def body(state, key):
            act_key, step_key = jax.random.split(key)
            actions = jax.random.randint(act_key, (64,), 0, env.num_actions)
            obs, state, reward, done, info = vec.step(step_key, state, actions)
            return state, (obs, reward, done, info["plan_step"])

        return jax.lax.scan(body, state, jax.random.split(key, 8))

    _, (obs, reward, done, step) = rollout(jax.random.PRNGKey(0))
    assert obs.shape == (8, 64, env.observation_size())
    assert reward.shape == done.shape == step.shape == (8, 64)
    assert np.isfinite(np.asarray(reward)).all()
    assert np.asarray(done)[5].all()  # the 6-step timeout ends every episode


def test_upkeep_interrupts_a_step_while_a_need_is_low():
    """A drink upkeep (marker 0.75) takes over when drink falls to 3, its expert acts and
    its reward is paid, the plan step waits, and the step resumes once drink is back at 8;
    every change of expert is a task switch. With upkeep off, nothing interrupts."""
    from flowrl.envs.flow_env import FlowEnv
    from flowrl.skills.plan_module import PlanStep, UpkeepSpec, build_plan_module, load_plan
    from tests.conftest import CLASSIC, CLASSIC_GAME, skill_source

    first = skill_source("step_marker.py")
    drink = first.replace("MARKER = 0.25", "MARKER = 0.75")
    module = build_plan_module(
        [PlanStep("Wood One", first, 1, 0)],
        CLASSIC_GAME,
        [UpkeepSpec("Drink", drink, "drink", 3, 8, 1)],
    )
    plan = load_plan(module, CLASSIC_GAME)
    assert plan.skill_names == ("Wood One", "Drink") and plan.num_experts == 2
    env = FlowEnv(CLASSIC, plan, completion_bonus=10.0)
    step = jax.jit(env.step)
    key = jax.random.PRNGKey(0)

    def with_drink(state: FlowState, level: int) -> FlowState:
        game = state.env_state
        return state.replace(
            env_state=game.replace(player_drink=jnp.full((), level, game.player_drink.dtype))
        )

    state = with_drink(facing_tree(env, seed=5), 3)
    assert int(env.expert_of(state)) == 0
    _, state, reward, _, info = step(key, state, Action.NOOP.value)  # step 0 acts, drink low
    assert float(reward) == 0.25 and bool(info["task_switch"]) and int(info["upkeep"]) == 0
    assert int(env.expert_of(state)) == 1  # the upkeep's expert acts next
    _, state, reward, _, info = step(key, state, Action.DO.value)  # wood, during upkeep
    assert float(reward) == 0.75 and int(info["task"]) == 1 and not bool(info["task_switch"])
    assert int(info["plan_step"]) == 0 and not bool(info["task_done"])  # the step waits
    _, state, reward, _, info = step(key, with_drink(state, 8), Action.NOOP.value)
    np.testing.assert_allclose(float(reward), 0.75 + 10.0)  # the upkeep completed
    assert bool(info["task_switch"]) and int(info["upkeep"]) == -1
    assert int(env.expert_of(state)) == 0
    _, state, _, done, info = step(key, state, Action.NOOP.value)  # the step resumes: done
    assert bool(info["task_done"]) and bool(done)
    # playing on past the completed plan (evaluation) evaluates the last step, not an upkeep
    _, _, _, _, info = step(key, with_drink(state, 3), Action.NOOP.value)
    assert int(info["task"]) == 0 and int(info["upkeep"]) == -1

    off = FlowEnv(CLASSIC, plan, completion_bonus=10.0, upkeep=False)
    state = with_drink(facing_tree(off, seed=5), 3)
    _, state, reward, _, info = jax.jit(off.step)(key, state, Action.NOOP.value)
    assert int(info["upkeep"]) == -1 and not bool(info["task_switch"])
    assert off.task_names == ("Wood One",) and env.task_names == ("Wood One", "Drink")
