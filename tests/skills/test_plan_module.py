"""Plan modules: one namespace per skill, constants frozen, re-checked when read from disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowrl.skills.knowledge import kb_skill
from flowrl.skills.loader import SkillCodeError, exec_checked
from flowrl.skills.plan_module import PlanStep, build_plan_module, load_plan, load_plan_file
from tests.conftest import CLASSIC_GAME as CLASSIC

WOOD = kb_skill(CLASSIC, "Collect Wood").code  # has helpers: approach_bonus, is_near ...


def test_each_step_has_its_own_namespace():
    plan = load_plan(
        build_plan_module([PlanStep("A", WOOD, 1, 0), PlanStep("B", WOOD, 2, 1)], CLASSIC),
        CLASSIC,
    )
    first, second = (fn.__globals__ for fn in plan.reward)
    assert first is not second
    assert "s0_approach_bonus" in first and "s0_approach_bonus" not in second
    assert "s1_approach_bonus" in second and "s1_approach_bonus" not in first
    assert plan.counts == (1, 2) and plan.experts == (0, 1)


def test_a_step_cannot_reach_another_steps_definitions():
    # Skill B names skill A's renamed helper: fine in one shared module, refused per step.
    intruder = WOOD.replace("approach = approach_bonus(", "approach = s0_approach_bonus(")
    assert intruder != WOOD
    module = build_plan_module([PlanStep("A", WOOD, 1, 0), PlanStep("B", intruder, 1, 1)], CLASSIC)
    with pytest.raises(SkillCodeError, match="s0_approach_bonus"):
        load_plan(module, CLASSIC)


def test_module_constants_are_frozen():
    source = WOOD.replace(
        '"""Collect Wood', 'TABLE = [1, 2]\nWEIGHTS = {"a": 1}\n"""Collect Wood', 1
    )
    namespace = exec_checked(source, CLASSIC)
    assert namespace["TABLE"] == (1, 2)
    with pytest.raises(TypeError):
        namespace["WEIGHTS"]["a"] = 2  # type: ignore[index]


def test_a_plan_edited_on_disk_is_checked_again(tmp_path: Path):
    path = tmp_path / "plan_module.py"
    path.write_text(build_plan_module([PlanStep("A", WOOD, 1, 0)], CLASSIC))
    assert load_plan_file(path, CLASSIC).num_tasks == 1
    text = path.read_text().replace(
        "return inventory.wood >= n", "return __import__('os').system('id') == 0", 1
    )
    path.write_text(text)
    with pytest.raises(SkillCodeError, match="dunder names are off limits"):
        load_plan_file(path, CLASSIC)


def test_stray_plan_definitions_are_refused():
    module = build_plan_module([PlanStep("A", WOOD, 1, 0)], CLASSIC) + "\nOTHER = 1\n"
    with pytest.raises(SkillCodeError, match="must belong to one step"):
        load_plan(module, CLASSIC)


def _hand_written(count: int, expert: int, done: str = "inventory.wood >= n") -> str:
    """A plan module written by hand: no STEP_* header, its own count and expert."""
    return f"""
def task_0_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n={count}):
    return {done}


def task_0_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    return inventory_diff.wood * 1.0


def task_0_network_number():
    return {expert}
"""


def test_counts_are_the_bound_n_and_must_match_the_header():
    assert load_plan(_hand_written(3, 0), CLASSIC).counts == (3,)
    built = build_plan_module([PlanStep("A", WOOD, 2, 0)], CLASSIC)
    with pytest.raises(SkillCodeError, match=r"STEP_COUNTS says \(5,\)"):
        load_plan(built.replace("STEP_COUNTS = (2,)", "STEP_COUNTS = (5,)"), CLASSIC)


@pytest.mark.parametrize("expert", [-1, 1, 999999999])
def test_network_numbers_outside_the_plan_are_refused_when_it_loads(expert: int):
    with pytest.raises(SkillCodeError, match=r"numbers its experts 0\.\.0"):
        load_plan(_hand_written(1, expert), CLASSIC)


def test_a_step_whose_output_is_not_a_scalar_at_its_count_is_named():
    from flowrl.skills.plan_check import check_step_outputs

    # a scalar at n = 1 and n = 10000, a (2,) array at the plan's n = 3
    done = "jnp.ones((2,) * (n % 10000 > 1), bool) & (inventory.wood >= n)"
    plan = load_plan(_hand_written(3, 0, done), CLASSIC)
    with pytest.raises(SkillCodeError, match=r"plan step 0 \(step 0, n=3\): `task_is_done`"):
        check_step_outputs(plan, CLASSIC)
    check_step_outputs(load_plan(_hand_written(1, 0, done), CLASSIC), CLASSIC)  # scalar at 1


def test_a_plan_edited_on_disk_to_hold_a_big_integer_is_refused_at_load(tmp_path: Path):
    """The trainer has no sandbox: the static integer limits hold when it loads a plan."""
    path = tmp_path / "plan_module.py"
    path.write_text(build_plan_module([PlanStep("A", WOOD, 1, 0)], CLASSIC))
    for bomb in ("pow(7, 10 ** 8)", "7 ** (10 ** 8)", "1 << (10 ** 9)"):
        path.write_text(
            path.read_text().replace(
                "return inventory.wood >= n", f"return inventory.wood >= n + {bomb} % 2", 1
            )
        )
        assert bomb in path.read_text()
        with pytest.raises(SkillCodeError, match=r"number literal up to 64|nested powers"):
            load_plan_file(path, CLASSIC)
        path.write_text(build_plan_module([PlanStep("A", WOOD, 1, 0)], CLASSIC))


def test_upkeep_rows_follow_the_steps_and_are_checked():
    from flowrl.skills.plan_module import UpkeepSpec

    source = WOOD
    module = build_plan_module(
        [PlanStep("Wood", source, 2, 0)],
        CLASSIC,
        [
            UpkeepSpec("Drink", source, "drink", 3, 8, 1),
            UpkeepSpec("Food", source, "food", 3, 7, 2),
        ],
    )
    plan = load_plan(module, CLASSIC)
    assert plan.names == ("Wood",) and plan.counts == (2,) and plan.num_tasks == 1
    assert [(u.name, u.stat, u.below, u.until, u.expert) for u in plan.upkeep] == [
        ("Drink", 2, 3, 8, 1),
        ("Food", 1, 3, 7, 2),
    ]
    assert plan.skill_experts == (0, 1, 2) and plan.num_experts == 3
    for bad in (
        module.replace("'drink', 3, 8", "'mana', 3, 8"),  # not a need upkeep restores
        module.replace("'drink', 3, 8", "'drink', 8, 3"),  # below >= until
        module.replace("NUM_TASKS = 1", "NUM_TASKS = 2"),  # rows and modules disagree
    ):
        with pytest.raises(SkillCodeError, match="UPKEEP must hold"):
            load_plan(bad, CLASSIC)
