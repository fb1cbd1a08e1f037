"""Commit merges a round into the library: accepted skills, rejections with stage and
reason, sibling duplicates; the report reads the verdicts back."""

from __future__ import annotations

import json
from pathlib import Path

from flowrl.envs.games import get_game
from flowrl.pipeline.layout import SlotPaths
from flowrl.pipeline.stages.commit import commit
from flowrl.pipeline.stages.init import init_library
from flowrl.pipeline.status import first_rejection
from flowrl.report.collect import tree_rows
from flowrl.skills.knowledge import kb_skill
from flowrl.skills.library import Library

CLASSIC = "Craftax-Classic-Symbolic-v1"
GAME = get_game(CLASSIC)


def _write(path: Path, doc) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc if isinstance(doc, str) else json.dumps(doc))


def _slot(tree: Path, i: int, name: str, *, valid=True, trained=True) -> SlotPaths:
    slot = SlotPaths.of(tree, i)
    skill = kb_skill(GAME, name)
    _write(slot.proposal, skill.spec.to_dict())
    _write(slot.validation, {"ok": valid, "reasons": [] if valid else ["Line 3: no imports."]})
    if valid:
        _write(slot.validated, skill.code)
        _write(slot.plan, {"status": "ok", "steps": [{"skill": name, "count": 1, "expert": 0}]})
    else:
        _write(
            slot.plan, {"status": "skipped", "stage": "validate", "reason": "Line 3: no imports."}
        )
    train = (
        {"status": "ok", "success_rate": 0.9, "success_interval": [0.85, 0.93], "frames": 1000}
        if trained
        else {
            "status": "rejected",
            "stage": "train",
            "reason": "success rate 0.10 stayed below 0.8",
        }
    )
    _write(slot.train, train)
    _write(
        slot.eval,
        {
            "status": "ok",
            "greedy": {"success_rate": 1.0, "achievements_pct": {"collect_wood": 50.0}},
        },
    )
    _write(
        slot.ledger,
        json.dumps(
            {"llm_name": "gpt-5", "cost_usd": 0.01, "prompt_tokens": 10, "completion_tokens": 5}
        )
        + "\n",
    )
    return slot


def test_round_commit_accepts_rejects_and_dedups(tmp_path: Path) -> None:
    init_library(CLASSIC, tmp_path / "init" / "library.json")
    slots = [
        _slot(tmp_path, 0, "Collect Wood"),
        _slot(tmp_path, 1, "Collect Wood"),
        _slot(tmp_path, 2, "Collect Sapling", valid=False),
        _slot(tmp_path, 3, "Collect Sapling", trained=False),
    ]
    results = commit(CLASSIC, tmp_path / "init" / "library.json", slots, slots[-1].library)
    assert [r["accepted"] for r in results] == [True, False, False, False]
    assert results[1]["reason"] == "same skill as sibling slot 0"
    assert results[2]["stage"] == "validate" and "no imports" in results[2]["reason"]
    assert results[3]["stage"] == "train"
    lib = json.loads(slots[-1].library.read_text())
    assert [s["name"] for s in lib["skills"]] == ["Collect Wood"]
    assert lib["skills"][0]["metrics"]["checkpoint"] == "skill_0/checkpoint"
    assert lib["skills"][0]["metrics"]["success_interval"] == [0.85, 0.93]
    assert [r["iteration"] for r in lib["rejected"]] == [1, 2, 3]
    assert "Collect Wood" not in lib["frontier"]

    rows = tree_rows(tmp_path)
    assert [r["accepted"] for r in rows] == [True, False, False, False]
    assert rows[0]["achievements"] == "collect_wood"
    assert rows[0]["success_interval"] == "0.85-0.93" and rows[3]["success_interval"] == ""
    assert rows[0]["cost_usd"] == 0.01 and rows[0]["models"] == "gpt-5"


def test_first_rejection_order(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    _write(a, {"status": "rejected", "stage": "propose", "reason": "bad json"})
    _write(b, {"ok": False, "reasons": ["x"]})
    assert first_rejection(a, b) == {"stage": "propose", "reason": "bad json"}
    assert first_rejection(b)["stage"] == "validate"
    assert first_rejection(tmp_path / "missing.json") is None


def test_compare_names_trees_by_their_model_and_footnotes_uncommitted(tmp_path: Path) -> None:
    from flowrl.report.compare import compare

    tree = tmp_path / "tree"  # made with --graph-path exp/x/tree: named by its ledger's model
    init_library(CLASSIC, tree / "init" / "library.json")
    slot = _slot(tree, 0, "Collect Wood")
    commit(CLASSIC, tree / "init" / "library.json", [slot], slot.library)
    (tmp_path / "gpt-5-typo" / "skill_0").mkdir(parents=True)  # died before any commit
    rows = compare(tmp_path)
    assert [(r["model"], r["tree"], r["skills_accepted"]) for r in rows] == [("gpt-5", "tree", 1)]
    notes = (tmp_path / "comparison" / "models.md").read_text()
    assert "Not compared, no committed slot: `gpt-5-typo`" in notes
    assert "gpt-5-typo" not in (tmp_path / "comparison" / "models.csv").read_text()


def test_a_skill_proposed_again_resumes_its_rejected_attempt(tmp_path: Path) -> None:
    """Training stopped below the threshold in slot 1; the same skill proposed in slot 2
    warm-starts its expert from slot 1's checkpoint (plan.json says so)."""
    from flowrl.pipeline.stages.plan import plan

    init_library(CLASSIC, tmp_path / "init" / "library.json")
    slots = [
        _slot(tmp_path, 0, "Collect Wood"),
        _slot(tmp_path, 1, "Collect Sapling", trained=False),
    ]
    _write(
        slots[1].dir / "checkpoint" / "metadata.json",
        {
            "skills": {"Collect Sapling": 0},
            "success_rate": 0.6,
            "frames_per_skill": {"Collect Sapling": 4096},
        },
    )
    previous = tmp_path / "init" / "library.json"
    for s in slots:
        commit(CLASSIC, previous, [s], s.library)
        previous = s.library
    again = SlotPaths.of(tmp_path, 2)
    skill = kb_skill(GAME, "Collect Sapling")
    _write(again.proposal, skill.spec.to_dict())
    _write(again.validation, {"ok": True, "reasons": []})
    _write(again.validated, skill.code)
    doc = plan(
        CLASSIC, slots[1].library, again.proposal, again.validation, again.plan, again.plan_module
    )
    assert doc["resumed"] == {
        "slot": 1,
        "checkpoint": "skill_1/checkpoint",
        "success_rate": 0.6,
        "frames": 4096,
    }
    assert doc["warm_start"]["Collect Sapling"] == "skill_1/checkpoint"
    # a candidate's plan (skill_2/candidates/c0/) names the tree; a later rejection at
    # another stage (no training) does not hide the trained attempt
    lib = Library.load(slots[1].library)
    lib.reject("Collect Sapling", ["Line 3: no imports."], 5, stage="validate")
    lib.save(tmp_path / "later.json")
    cand = again.dir / "candidates" / "c0"
    doc = plan(
        CLASSIC,
        tmp_path / "later.json",
        again.proposal,
        again.validation,
        cand / "plan.json",
        cand / "plan_module.py",
        tree=tmp_path,
    )
    assert doc["resumed"]["slot"] == 1
    # a skill never trained before starts fresh
    _write(again.proposal, kb_skill(GAME, "Collect Drink").spec.to_dict())
    _write(again.validated, kb_skill(GAME, "Collect Drink").code)
    doc = plan(
        CLASSIC, slots[1].library, again.proposal, again.validation, again.plan, again.plan_module
    )
    assert doc["resumed"] is None and "Collect Drink" not in doc["warm_start"]


def _train(rate, iv, ok, **extra):
    status = {"status": "ok"} if ok else {"status": "rejected", "stage": "train", "reason": "low"}
    return {**status, "success_rate": rate, "success_interval": iv, "success_threshold": 0.8,
            **extra}  # fmt: skip


def _eval(rate, iv):
    return {"status": "ok", "sampled": {"success_within_horizon": rate, "success_interval": iv}}


def test_one_verdict_training_rules_unless_evaluation_is_decisive() -> None:
    from flowrl.pipeline.verdict import EVALUATION, TRAIN, decide

    near_miss, strong_eval = _train(0.75, [0.72, 0.78], ok=False), _eval(1.0, [0.89, 1.0])
    assert decide(near_miss, strong_eval)["decided_by"] == EVALUATION
    assert decide(near_miss, strong_eval)["accepted"] is True
    # overlapping intervals, a far miss, an early stop, a missing evaluation: training rules
    assert decide(near_miss, _eval(0.9, [0.76, 0.97])) == {
        "accepted": False, "decided_by": TRAIN, "rule": "training rules: the intervals overlap"
    }  # fmt: skip
    assert decide(_train(0.6, [0.57, 0.63], ok=False), strong_eval)["accepted"] is False
    stopped = _train(0.75, [0.72, 0.78], ok=False, stopped_early="hopeless")
    assert decide(stopped, strong_eval)["decided_by"] == TRAIN
    assert decide(near_miss, {})["rule"] == "no evaluation to compare"
    # a pass the checkpoint's fresh episodes contradict beyond doubt is overruled
    contradicted = decide(_train(0.85, [0.83, 0.87], ok=True), _eval(0.5, [0.34, 0.66]))
    assert (contradicted["accepted"], contradicted["decided_by"]) == (False, EVALUATION)
    assert decide(_train(0.85, [0.83, 0.87], ok=True), _eval(0.7, [0.53, 0.83]))["accepted"]


def test_commit_applies_the_evaluation_overrule_and_the_report_names_it(tmp_path: Path) -> None:
    init_library(CLASSIC, tmp_path / "init" / "library.json")
    near, contradicted = _slot(tmp_path, 0, "Collect Wood"), _slot(tmp_path, 1, "Collect Sapling")
    _write(near.train, _train(0.75, [0.72, 0.78], ok=False, frames=1000))
    _write(near.eval, _eval(1.0, [0.89, 1.0]))
    _write(contradicted.eval, _eval(0.5, [0.34, 0.66]))
    _write(contradicted.train, _train(0.85, [0.83, 0.87], ok=True))
    slots = [near, contradicted]
    results = commit(CLASSIC, tmp_path / "init" / "library.json", slots, slots[-1].library)
    assert [r["accepted"] for r in results] == [True, False]
    assert results[1]["stage"] == "evaluate" and "overruled training" in results[1]["reason"]
    lib = json.loads(slots[-1].library.read_text())
    assert lib["skills"][0]["metrics"]["verdict"]["decided_by"] == "evaluation"
    rows = tree_rows(tmp_path)
    assert [r["decided_by"] for r in rows] == ["evaluation", "evaluation"]
    assert "near miss" in rows[0]["verdict_rule"]
