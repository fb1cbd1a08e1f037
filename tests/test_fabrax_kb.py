"""The Fabrax knowledge base: generated from the game's tables, schema-valid, curriculum
ordered, and every Fabrax skill's code passes the validator on Fabrax states."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from flowrl.envs.fabrax.constants import Achievement
from flowrl.envs.fabrax.kb import build_knowledge_base, fabrax_skills, resource_files
from flowrl.envs.fabrax.recipes import RECIPES
from flowrl.envs.games import get_game
from flowrl.skills.knowledge import schema_errors
from flowrl.skills.spec import SkillSpec

FABRAX = "Fabrax-Symbolic-v1"
ROOT = Path(__file__).resolve().parent.parent / "flowrl" / "resources" / "fabrax"


def test_resource_files_are_the_generated_ones():
    for rel, text in resource_files().items():
        assert (ROOT / rel).read_text() == text, (
            f"regenerate: python -m flowrl.envs.fabrax.kb ({rel})"
        )
    written = {p.relative_to(ROOT).as_posix() for p in ROOT.rglob("*") if p.is_file()}
    assert written == set(resource_files())


def test_schema_and_specs():
    kb = json.loads((ROOT / "knowledge_base.json").read_text())
    assert schema_errors("knowledge_base", kb) == []
    assert kb["env_names"] == [FABRAX] and kb["family"] == "classic"
    for entry in kb["skills"]:
        SkillSpec.from_dict({k: v for k, v in entry.items() if k != "code"})
        assert (ROOT / "skills" / entry["code"]).resolve().is_file(), entry["code"]
    names = [s["name"] for s in kb["skills"]]
    assert len(names) == len(set(names)) == 22 + len(fabrax_skills())


def test_every_fabrax_action_and_achievement_is_in_the_kb():
    kb = build_knowledge_base()
    entries = kb["recipes"] + kb["placements"] + kb["interactions"]
    assert {r.action.name for r in RECIPES} <= {e["action"] for e in entries}
    covered = {e.get("achievement") for e in entries + kb["mining"]}
    assert {a.name for a in Achievement if a.value >= 22} <= covered


def test_curriculum_order_provides_every_requirement():
    provided: set[str] = set()
    for entry in build_knowledge_base()["skills"]:
        missing = set(entry["requirements"]) - provided
        assert not missing, (entry["name"], missing)
        provided |= set(entry["gain"])


@pytest.mark.slow
def test_fabrax_skills_pass_the_validator():
    from flowrl.skills.validator import validate_many

    skills = fabrax_skills()
    results = validate_many([code for _, code in skills], get_game(FABRAX))
    failed = {
        spec["name"]: r.feedback() for (spec, _), r in zip(skills, results, strict=True) if not r.ok
    }
    assert not failed
    hackable = [r.stats["warning"] for r in results if r.stats.get("warning")]
    assert not hackable  # the reward-cycle probe: no KB reward pays for gather-and-spend
