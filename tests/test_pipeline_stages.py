"""Stage modules: table dispatch, declared outputs on rejection, and only expected, named
failures becoming rejections (a trainer bug fails the job)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from flowrl.envs.games import get_game
from flowrl.pipeline import slot_cli
from flowrl.pipeline.layout import (
    CANDIDATE_FILES,
    SLOT_FILES,
    SlotPaths,
    baseline_path,
    candidate_path,
    seed_path,
    slot_path,
    start_from_record,
)
from flowrl.pipeline.stages import select, train
from flowrl.pipeline.stages.init import copied_before_rename, start_from
from flowrl.skills.knowledge import kb_skill
from flowrl.skills.plan_module import PlanStep, build_plan_module

CLASSIC = "Craftax-Classic-Symbolic-v1"
GAME = get_game(CLASSIC)
RULES = Path(__file__).resolve().parents[1] / "workflow" / "rules"


def test_every_rule_file_has_its_stage_and_the_table_names_them_all() -> None:
    assert set(slot_cli.STAGES) == {
        "init",
        "start_from",
        "prompt",
        "propose",
        "code",
        "validate",
        "candidate_code",
        "candidate_validate",
        "candidate_probe",
        "select",
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
    skill = kb_skill(GAME, "Collect Wood")
    slot = _slot(tmp_path, build_plan_module([PlanStep(skill.name, skill.code, 1, 0)], GAME))

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the trainer")

    monkeypatch.setattr("flowrl.rl.trainer.train", broken)
    with pytest.raises(RuntimeError, match="a bug in the trainer"):
        _run(slot, tmp_path)
    assert not slot.train.exists()


def test_a_retried_skill_trains_on_another_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A retry resumes its attempt's best checkpoint; for a hopeless skill that is still the
    start, so the same seed would replay the attempt step for step (seen in a depth run)."""
    skill = kb_skill(GAME, "Collect Wood")
    slot = _slot(tmp_path, build_plan_module([PlanStep(skill.name, skill.code, 1, 0)], GAME))
    seeds = []

    def record(plan, env_name, slot_dir, config, **kwargs):
        seeds.append(config.seed)
        raise RuntimeError("recorded")

    monkeypatch.setattr("flowrl.rl.trainer.train", record)
    for resumed in (None, {"slot": 3, "checkpoint": "skill_3/checkpoint"}):
        plan = {"status": "ok", "steps": [], "warm_start": {}, "resumed": resumed}
        slot.plan.write_text(json.dumps(plan))
        with pytest.raises(RuntimeError, match="recorded"):
            _run(slot, tmp_path)
    assert seeds == [0, train.retry_seed(0, {"slot": 3})] and seeds[1] != seeds[0]


def test_candidates_have_their_own_folders() -> None:
    assert candidate_path("t", 3, 1, "skill") == "t/skill_3/candidates/c1/skill.py"
    assert candidate_path("t", "{i}", "{c}") == "t/skill_{i}/candidates/c{c}"
    assert set(CANDIDATE_FILES.values()) <= set(SLOT_FILES.values())  # slot stages reuse them


def _candidate(slot: Path, c: int, *, success: float | None, frames: int, valid: bool = True):
    """A candidate folder as candidate_code/validate/probe leave it (trained when valid)."""
    d = slot / "candidates" / f"c{c}"
    (d / "validated").mkdir(parents=True)
    (d / "skill.py").write_text(f"# candidate {c}\n")
    (d / "code.json").write_text(json.dumps({"status": "ok"}))
    (d / "reward_plan.json").write_text(json.dumps({"reward_plan": {"design": f"d{c}"}}))
    if not valid:
        (d / "validation.json").write_text(json.dumps({"ok": False, "reasons": ["bad"]}))
        (d / "train.json").write_text(
            json.dumps({"status": "skipped", "stage": "validate", "reason": "bad"})
        )
        return
    (d / "validated" / "skill.py").write_text(f"# candidate {c}\n")
    (d / "validation.json").write_text(json.dumps({"ok": True, "reasons": []}))
    (d / "checkpoint").mkdir()
    (d / "checkpoint" / "metadata.json").write_text("{}")
    (d / "train.json").write_text(
        json.dumps({"status": "ok", "frames": frames, "success_threshold": 0.5})
    )
    (d / "train_metrics.csv").write_text(f"frames,success_rate\n{frames // 2},0.1\n{frames},0.6\n")
    rates = {"greedy": {"success_rate": success}, "sampled": {"success_rate": 0.0}}
    (d / "eval.json").write_text(json.dumps({"status": "ok", **rates}))


def test_select_takes_best_fresh_success_then_fewer_frames(tmp_path: Path) -> None:
    slot = tmp_path / "skill_0"
    _candidate(slot, 0, success=0.5, frames=3000)
    _candidate(slot, 1, success=0.75, frames=4000)
    _candidate(slot, 2, success=0.75, frames=2000)
    _candidate(slot, 3, success=None, frames=0, valid=False)
    doc = select.select(slot, 4, probe_timesteps=4096)
    assert doc["winner"] == 2 and doc["probe_frames_total"] == 9000
    assert [r["winner"] for r in doc["candidates"]] == [False, False, True, False]
    assert doc["candidates"][0]["frames_to_threshold"] == 3000
    assert doc["candidates"][3]["stage"] == "validate" and not doc["candidates"][3]["trained"]
    assert (slot / "skill.py").read_text() == "# candidate 2\n"
    assert (slot / "validated" / "skill.py").read_text() == "# candidate 2\n"
    assert json.loads((slot / "candidates.json").read_text()) == doc


def test_select_without_a_trained_candidate_keeps_the_first_rejection(tmp_path: Path) -> None:
    slot = tmp_path / "skill_0"
    for c in range(2):
        _candidate(slot, c, success=None, frames=0, valid=False)
    assert select.select(slot, 2)["winner"] == 0
    assert json.loads((slot / "validation.json").read_text())["ok"] is False
    assert not (slot / "validated" / "skill.py").exists()


def test_a_retry_resumes_the_attempt_that_got_furthest(tmp_path: Path) -> None:
    from flowrl.pipeline.stages.plan import resumed_attempt
    from flowrl.skills.library import Library

    lib = Library("Craftax-Classic-Symbolic-v1")
    attempts = {2: (0.71, [0.9, 0.6]), 5: (0.02, [0.9, 0.1]), 7: (0.71, [0.9, 0.7])}
    for slot, (rate, steps) in attempts.items():
        lib.reject("Collect Iron", "below the threshold", slot, stage="train")
        meta = {"skills": {"Collect Iron": 1}, "success_rate": rate, "step_completion": steps}
        folder = tmp_path / f"skill_{slot}" / "checkpoint"
        folder.mkdir(parents=True)
        (folder / "metadata.json").write_text(json.dumps(meta))
    lib.reject("Collect Iron", "invalid code", 8, stage="validate")
    got = resumed_attempt(lib, "Collect Iron", tmp_path)
    # slot 5, the latest train rejection, learned least; 2 and 7 tie on success, 7 got deeper
    assert got is not None and got["slot"] == 7 and got["success_rate"] == 0.71
    assert resumed_attempt(lib, "Collect Coal", tmp_path) is None


def _committed_tree(tree: Path, slots: int) -> Path:
    """A tree whose slots ``0..slots-1`` are committed (one accepted skill each)."""
    (tree / "init").mkdir(parents=True)
    (tree / "init" / "library.json").write_text("{}")
    for i in range(slots):
        (tree / f"skill_{i}").mkdir()
        (tree / f"skill_{i}" / "library.json").write_text(
            json.dumps({"skills": [{"name": f"s{i}"}]})
        )
    return tree


def _slot_command(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    slot_cli.add_arguments(parser)
    return slot_cli.run(parser.parse_args(list(argv)))


@pytest.mark.parametrize("name", ["start_from", "seed"])
def test_start_from_copies_the_first_slots_and_records_them(
    tmp_path: Path, name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``flowrl slot start_from``, and its old name ``seed`` with a note to use the new one."""
    source, dest = _committed_tree(tmp_path / "a", 2), tmp_path / "b"
    assert _slot_command(name, "--source", str(source), "--dest", str(dest), "--up-to", "1") == 0
    record = json.loads((dest / "start_from.json").read_text())
    assert record["slots"] == ["init", "skill_0"] and record["skills_accepted"] == ["s0"]
    assert start_from_record(dest) == dest / "start_from.json" and not (dest / "skill_1").exists()
    deprecated = "deprecated: use flowrl slot start_from" in capsys.readouterr().err
    assert deprecated == (name == "seed")


def test_a_tree_started_under_the_old_name_counts_as_started(tmp_path: Path) -> None:
    """A tree copied when the step was ``seed`` keeps its ``seed.json``: it is read as the
    record, and the copy is done for that source and up_to only."""
    source, dest = _committed_tree(tmp_path / "a", 2), tmp_path / "b"
    assert start_from_record(source) is None
    start_from(source, dest, 1)
    (dest / "start_from.json").rename(dest / "seed.json")  # what the old step wrote
    assert start_from_record(dest) == dest / "seed.json"
    assert copied_before_rename(dest, source, 1)
    assert not copied_before_rename(dest, source, 2)  # another up_to: copy again
    assert not copied_before_rename(dest, tmp_path / "c", 1)  # another source
    (dest / "start_from.json").write_text("{}")
    assert not copied_before_rename(dest, source, 1)  # the new record wins
    assert start_from_record(dest) == dest / "start_from.json"
