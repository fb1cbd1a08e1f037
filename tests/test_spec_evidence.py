"""Spec corrections from rollout evidence (the offline trajectory analysis), and the
offline provider's K reward-code candidates."""

from __future__ import annotations

import ast

import pytest

from flowrl.envs.games import get_game
from flowrl.llm.offline import OfflineProvider
from flowrl.llm.offline_variants import VARIANTS, variant_code
from flowrl.llm.prompts import analyse_context, analyse_messages, code_context, code_messages
from flowrl.skills.knowledge import kb_skill
from flowrl.skills.spec import SkillSpec
from flowrl.skills.spec_evidence import correct_spec

CLASSIC = get_game("Craftax-Classic-Symbolic-v1")
WOOD = {"name": "Collect Wood", "gain": {"wood": "lambda n: n"}}
PICKAXE = {
    "name": "Make Wood Pickaxe",
    "requirements": {"wood": "lambda n: n"},
    "consumption": {"stone": "lambda n: n"},
    "gain": {"wood_pickaxe": "lambda n: n"},
}


def evidence(**kw):
    return {"episodes": 8, "steps_active": 400, "completions": 6, **kw}


def test_a_wrong_gain_is_replaced_by_what_was_observed() -> None:
    wrong = {**WOOD, "gain": {"stone": "lambda n: n"}}
    seen = evidence(
        gained={"wood": 7, "sapling": 9},  # saplings picked up on the way are incidental
        gained_at_completion={"wood": 6},  # wood rose on the steps that completed the skill
        achievements={"COLLECT_WOOD": 6},
    )
    out = correct_spec(wrong, seen)
    assert out["gain"] == {"wood": "lambda n: n"}
    assert "gain stone never happened" in out["reason"] and "wood +7" in out["reason"]
    # without completion evidence the most frequent rise stands in
    assert correct_spec(wrong, evidence(gained={"wood": 7, "sapling": 30}))["gain"] == {
        "sapling": "lambda n: 5*n"
    }
    fields = {k: out[k] for k in ("requirements", "consumption", "gain")}
    assert SkillSpec.from_dict({**wrong, **fields}).primary_gain.key == "wood"


def test_a_consistent_spec_is_kept() -> None:
    out = correct_spec(WOOD, evidence(gained={"wood": 6, "sapling": 1}))
    assert out["gain"] == {"wood": "lambda n: n"} and out["consumption"] == {}
    assert "consistent" in out["reason"]


def test_no_evidence_changes_nothing() -> None:
    wrong = {**WOOD, "gain": {"stone": "lambda n: n"}}
    out = correct_spec(wrong, {"episodes": 8, "steps_active": 0, "completions": 0})
    assert out["gain"] == wrong["gain"] and "no evidence" in out["reason"]


def test_consumption_follows_what_completions_used() -> None:
    out = correct_spec(PICKAXE, evidence(gained={"wood_pickaxe": 6}, consumed={"wood": 6}))
    assert out["consumption"] == {"wood": "lambda n: n"}  # stone was never used: dropped
    assert out["requirements"]["wood"] == "lambda n: n"
    assert "consumption wood" in out["reason"] and "consumption stone never" in out["reason"]


def test_offline_analysis_corrects_from_evidence_and_keeps_without_it() -> None:
    provider = OfflineProvider()
    wrong = {**WOOD, "gain": {"stone": "lambda n: n"}, "description": "", "ephemeral": False}
    rollout = {"summary": "...", "evidence": evidence(gained={"wood": 6})}
    ctx = analyse_context(CLASSIC, wrong, rollout)
    assert '"wood": "lambda n: n"' in provider.answer(analyse_messages(CLASSIC, ctx))
    ctx = analyse_context(CLASSIC, wrong, "Steps: 3\nChanges: none")
    assert "no rollout evidence" in provider.answer(analyse_messages(CLASSIC, ctx))


def test_offline_candidates_differ_in_reward_only() -> None:
    base = kb_skill(CLASSIC, "Collect Wood").code
    codes = [variant_code(base, k) for k in range(2 * len(VARIANTS))]
    assert codes[0] == base and len(set(codes)) == len(codes)

    def done_source(source: str) -> str:
        tree = ast.parse(source)
        return next(ast.unparse(f) for f in tree.body if getattr(f, "name", "") == "task_is_done")

    assert {done_source(c) for c in codes} == {done_source(base)}
    provider = OfflineProvider()
    spec = kb_skill(CLASSIC, "Collect Wood").spec.to_dict()
    earlier = [
        {"source": c, "reward_plan": {"done_when": "x", "reward_terms": []}} for c in codes[:2]
    ]
    ctx = code_context(CLASSIC, spec, None, earlier)
    assert "base_task_reward" in provider.answer(code_messages(CLASSIC, ctx))
    assert "Candidate 2" in provider.answer(code_messages(CLASSIC, ctx))
    with pytest.raises(ValueError, match="no task_reward"):
        variant_code("def task_is_done(n):\n    return n\n", 1)
