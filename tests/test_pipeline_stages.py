"""Stage modules: table dispatch, declared outputs on rejection, and only expected, named
failures becoming rejections (a trainer bug fails the job)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowrl.pipeline import slot_cli
from flowrl.pipeline.layout import SLOT_FILES, SlotPaths, baseline_path, seed_path, slot_path
from flowrl.pipeline.stages import train
from flowrl.skills.knowledge import kb_skill
from flowrl.skills.plan_module import PlanStep, build_plan_module

CLASSIC = "Craftax-Classic-Symbolic-v1"
RULES = Path(__file__).resolve().parents[1] / "workflow" / "rules"


def test_every_rule_file_has_its_stage_and_the_table_names_them_all() -> None:
    assert set(slot_cli.STAGES) == {
        "init",
        "seed",
        "prompt",
        "propose",
        "code",
        "validate",
        "plan",
        "train",
        "analyse",
        "evaluate",
        "commit",
    }
    stage_dir = Path(train.__file__).parent
    # report, achievements: flowrl/report (flowrl report, flowrl achievements: the report
    # layer reads trees, above the pipeline); seeds: the train and evaluate stages per seed
    elsewhere = {"common": None, "report": "cli", "achievements": "achievements_cli"}
    for rule in RULES.glob("*.smk"):
        if rule.stem == "seeds":
            assert "slot train" in rule.read_text() and "slot evaluate" in rule.read_text()
        elif rule.stem in elsewhere:
            module = elsewhere[rule.stem]
            assert module is None or (stage_dir.parents[1] / "report" / f"{module}.py").is_file()
        else:
            assert (stage_dir / f"{rule.stem}.py").is_file(), rule.name


def test_layout_names_each_file_once() -> None:
    assert slot_path("t", 3, "proposal") == "t/skill_3/proposal.json"
    assert seed_path("t", 3, 1, "eval") == "t/skill_3/seeds/seed_1/eval.json"
    assert seed_path("t", "{i}", "{s}") == "t/skill_{i}/seeds/seed_{s}"
    assert baseline_path("r/E", 900, 2, "eval") == "r/E/baseline_ppo/frames_900/seed_2/eval.json"
    assert slot_path("t", "{i}") == "t/skill_{i}"
    assert SlotPaths.of("t", 2).validated == Path("t/skill_2/validated/skill.py")
    assert len(set(SLOT_FILES.values())) == len(SLOT_FILES)


def _slot(tmp_path: Path, plan_source: str) -> SlotPaths:
    slot = SlotPaths.of(tmp_path, 0)
    slot.dir.mkdir(parents=True)
    slot.plan.write_text(json.dumps({"status": "ok", "steps": [], "warm_start": {}}))
    slot.plan_module.write_text(plan_source)
    return slot


def _run(slot: SlotPaths, tree: Path) -> dict:
    settings = {"total_timesteps": 64, "num_envs": 2, "num_steps": 4}
    return train.train(CLASSIC, tree, slot.plan, slot.plan_module, slot.dir, "cpu", settings)


def test_a_plan_module_the_loader_refuses_rejects_the_slot(tmp_path: Path) -> None:
    slot = _slot(tmp_path, "import os\n\ndef task_0_is_done():\n    return os.system('x')\n")
    doc = _run(slot, tmp_path)
    assert doc["status"] == "rejected" and doc["stage"] == "train"
    assert "does not load" in doc["reason"]
    assert json.loads(slot.train.read_text()) == doc
    assert slot.checkpoint.is_dir() and slot.metrics.is_file()  # declared outputs exist


def test_a_trainer_bug_fails_loudly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    skill = kb_skill(CLASSIC, "Collect Wood")
    slot = _slot(tmp_path, build_plan_module([PlanStep(skill.name, skill.code, 1, 0)], CLASSIC))

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the trainer")

    monkeypatch.setattr("flowrl.rl.trainer.train", broken)
    with pytest.raises(RuntimeError, match="a bug in the trainer"):
        _run(slot, tmp_path)
    assert not slot.train.exists()
