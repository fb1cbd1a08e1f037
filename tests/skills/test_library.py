"""library.json: schema-checked load/save, atomic writes, experts, rejections, frontier."""

from __future__ import annotations

import json
import os

import pytest

from flowrl.atomic_io import write_json_atomic, write_text_atomic
from flowrl.envs.games import get_game
from flowrl.skills.knowledge import kb_specs
from flowrl.skills.library import (
    Library,
    LibraryError,
    compute_frontier,
    kb_library,
)

CLASSIC = "Craftax-Classic-Symbolic-v1"
GAME = get_game(CLASSIC)


def test_round_trip_and_fields(tmp_path):
    specs = kb_specs(GAME)
    lib = Library(env_name=CLASSIC)
    lib.add_skill(specs["Collect Wood"], "code-a", iteration=0, metrics={"success_rate": 0.9})
    lib.add_skill(specs["Place Crafting Table"], "code-b", iteration=1)
    lib.add_skill(specs["Defeat Zombie"], "code-c", iteration=2, expert=0)
    lib.reject(
        "Fly", ["validation: uses while"], iteration=3, stage="validate", proposal={"name": "Fly"}
    )
    lib.update_frontier(specs)
    path = lib.save(tmp_path / "sub" / "library.json")
    again = Library.load(path)
    assert again.to_json() == lib.to_json()
    assert [s.expert for s in again.skills] == [0, 1, 0]
    assert again.iteration == 3
    assert again.achievements == ["DEFEAT_ZOMBIE"]
    assert again.rejected[0]["reasons"] == ["validation: uses while"]
    assert "Make Wood Pickaxe" in again.frontier and "Collect Stone" not in again.frontier
    assert again.specs()["Collect Wood"] == specs["Collect Wood"]


def test_duplicate_and_unknown_skills():
    lib = kb_library(GAME, ["Collect Wood"])
    with pytest.raises(LibraryError, match="already"):
        lib.add_skill(kb_specs(GAME)["Collect Wood"], "x", iteration=1)
    with pytest.raises(KeyError, match="no learned skill 'Fly'"):
        lib.get("Fly")
    with pytest.raises(LibraryError, match="reason"):
        lib.reject("Fly", [], iteration=1)


@pytest.mark.parametrize(
    ("patch", "why"),
    [
        ({"schema_version": 2}, "schema_version"),
        ({"skills": [{"name": "x"}]}, "skills/0"),
        ({"iteration": "one"}, "iteration"),
        ({"rejected": [{"name": "x", "iteration": 0, "reasons": []}]}, "rejected/0/reasons"),
    ],
)
def test_load_rejects_files_breaking_the_schema(tmp_path, patch, why):
    data = {**Library(env_name=CLASSIC).to_json(), **patch}
    path = tmp_path / "library.json"
    path.write_text(json.dumps(data))
    with pytest.raises(LibraryError, match=why):
        Library.load(path)


def test_load_rejects_bad_amounts_and_bad_json(tmp_path):
    lib = kb_library(GAME, ["Collect Wood"])
    data = lib.to_json()
    data["skills"][0]["spec"]["gain"]["wood"] = "lambda n: __import__('os')"
    path = tmp_path / "library.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ValueError, match="not allowed"):
        Library.load(path)
    path.write_text("{not json")
    with pytest.raises(LibraryError, match="not valid JSON"):
        Library.load(path)


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    path = tmp_path / "library.json"
    kb_library(GAME, ["Collect Wood"]).save(path)
    before = path.read_text()
    with pytest.raises(TypeError):
        write_json_atomic(path, {"bad": object()})
    assert path.read_text() == before
    assert [p.name for p in tmp_path.iterdir()] == ["library.json"]  # no temp files left


def test_frontier_counts_llm_skills_as_providers():
    specs = kb_specs(GAME)
    assert compute_frontier(specs, {})[:1] == ["Collect Wood"]
    learned = {"Collect Wood": specs["Collect Wood"]}
    frontier = compute_frontier(specs, learned)
    assert "Place Crafting Table" in frontier and "Collect Wood" not in frontier
    assert "Make Wood Pickaxe" not in frontier  # needs a crafting table too


def test_atomic_write_gives_the_mode_open_would(tmp_path):
    old = os.umask(0o027)
    try:
        fresh = write_text_atomic(tmp_path / "fresh.json", "{}")
        assert fresh.stat().st_mode & 0o777 == 0o640  # 0o666 less the umask, not mkstemp's 0o600
        kept = tmp_path / "kept.json"
        kept.write_text("old")
        kept.chmod(0o604)
        write_text_atomic(kept, "new")
        assert kept.stat().st_mode & 0o777 == 0o604 and kept.read_text() == "new"
    finally:
        os.umask(old)


def test_long_plans_carry_the_librarys_upkeep_skills():
    """A plan of 7+ steps gets one upkeep skill per need the library can restore (not its
    own target), numbered after the steps' experts; a short plan or upkeep=False none."""
    from flowrl.envs.games import get_game
    from flowrl.skills.library import kb_library
    from flowrl.skills.planner import plan_skill

    env = get_game("Craftax-Classic-Symbolic-v1")
    names = [
        "Collect Wood",
        "Place Crafting Table",
        "Make Wood Pickaxe",
        "Collect Stone",
        "Make Stone Pickaxe",
        "Collect Iron",
    ]
    lib = kb_library(env, [*names, "Collect Drink", "Sleep"])
    planned = plan_skill(env, lib, "Collect Iron")
    assert len(planned.doc["steps"]) == 7  # wood, table, pickaxe, stone, table, pickaxe, iron
    assert planned.doc["upkeep"] == [
        {"skill": "Collect Drink", "need": "drink", "below": 3, "until": 8, "expert": 6},
        {"skill": "Sleep", "need": "energy", "below": 2, "until": 9, "expert": 7},
    ]
    assert "UPKEEP = (('Collect Drink', 'drink', 3, 8), ('Sleep', 'energy', 2, 9))" in (
        planned.module_source()
    )
    assert plan_skill(env, lib, "Make Stone Pickaxe").doc["upkeep"] == []  # 6 steps
    assert plan_skill(env, lib, "Collect Iron", upkeep=False).doc["upkeep"] == []
    no_drink = kb_library(env, [*names, "Collect Drink"])
    assert [u["skill"] for u in plan_skill(env, no_drink, "Collect Iron").doc["upkeep"]] == [
        "Collect Drink"
    ]
