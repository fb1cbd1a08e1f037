"""Plan modules: one namespace per skill, constants frozen, re-checked when read from disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowrl.skills.knowledge import kb_skill
from flowrl.skills.loader import SkillCodeError, exec_checked
from flowrl.skills.plan_module import PlanStep, build_plan_module, load_plan, load_plan_file

from .conftest import CLASSIC

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
