"""Resolver: hand-derived Classic plans, tiers, cap splitting, errors, determinism, CLI."""

from __future__ import annotations

import json

import pytest

from flowrl.envs.games import get_game
from flowrl.skills.knowledge import kb_specs, tool_keys
from flowrl.skills.resolver import (
    CapError,
    CycleError,
    Holdings,
    MissingProviderError,
    Resolver,
    ResolverError,
)
from flowrl.skills.spec import SkillSpec

CLASSIC = "Craftax-Classic-Symbolic-v1"
FULL = "Craftax-Symbolic-v1"


def resolver(env_name: str) -> Resolver:
    cap = 9 if env_name == CLASSIC else 99
    game = get_game(env_name)
    return Resolver(kb_specs(game), cap, tool_keys(game))


def steps(plan):
    return [(s.skill, s.times, s.count) for s in plan]


# Hand derivation from craftax_classic/game_logic.py:
#   PLACE_TABLE needs 2 wood; MAKE_WOOD_PICKAXE 1 wood near a table; MAKE_STONE_PICKAXE 1 wood
#   + 1 stone near a table; MAKE_IRON_PICKAXE 1 wood + 1 stone + 1 coal + 1 iron near a table
#   and a furnace; PLACE_FURNACE 1 stone; stone/coal need wood_pickaxe, iron stone_pickaxe,
#   diamond iron_pickaxe. A table is "near" only right after placing it: any collection trip
#   in between means placing a new one (2 more wood). Every resource is gathered on the
#   earliest trip its tool allows (all wood first, within the cap of 9).
WOOD_PICKAXE = [  # wood: table 2 + pickaxe 1 = 3
    ("Collect Wood", 3, 3),
    ("Place Crafting Table", 1, 1),
    ("Make Wood Pickaxe", 1, 1),
]
STONE_PICKAXE = [  # wood: 3 (as above) + table 2 + pickaxe 1 = 6; stone: 1
    ("Collect Wood", 6, 6),
    ("Place Crafting Table", 1, 1),
    ("Make Wood Pickaxe", 1, 1),
    ("Collect Stone", 1, 1),
    ("Place Crafting Table", 1, 1),
    ("Make Stone Pickaxe", 1, 1),
]
IRON_PICKAXE = [  # wood: 6 + table 2 + pickaxe 1 = 9 (= cap); stone: 1 + furnace 1 + pickaxe 1 = 3
    ("Collect Wood", 9, 9),
    ("Place Crafting Table", 1, 1),
    ("Make Wood Pickaxe", 1, 1),
    ("Collect Stone", 3, 3),
    ("Collect Coal", 1, 1),  # coal needs only the wood pickaxe: gathered on the same trip
    ("Place Crafting Table", 1, 1),
    ("Make Stone Pickaxe", 1, 1),
    ("Collect Iron", 1, 1),
    ("Place Crafting Table", 1, 1),
    ("Place Furnace", 1, 1),
    ("Make Iron Pickaxe", 1, 1),
]
DIAMOND = [*IRON_PICKAXE, ("Collect Diamond", 1, 1)]


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("Make Wood Pickaxe", WOOD_PICKAXE),
        ("Make Stone Pickaxe", STONE_PICKAXE),
        ("Make Iron Pickaxe", IRON_PICKAXE),
        ("Collect Diamond", DIAMOND),
    ],
)
def test_classic_plans_match_hand_derivation(target, expected):
    assert steps(resolver(CLASSIC).plan(target)) == expected


def test_counts_are_absolute_targets_for_repeated_collection():
    plan = steps(resolver(CLASSIC).plan("Collect Stone", 4))
    assert plan == [
        ("Collect Wood", 3, 3),
        ("Place Crafting Table", 1, 1),
        ("Make Wood Pickaxe", 1, 1),
        ("Collect Stone", 4, 4),
    ]


def test_held_items_prune_their_producers():
    start = Holdings(inventory={"wood_pickaxe": 1, "wood": 1})
    assert steps(resolver(CLASSIC).plan("Make Stone Pickaxe", start=start)) == [
        ("Collect Wood", 2, 3),
        ("Collect Stone", 1, 1),
        ("Place Crafting Table", 1, 1),
        ("Make Stone Pickaxe", 1, 1),
    ]
    start = Holdings(inventory={"iron_pickaxe": 1})
    assert steps(resolver(CLASSIC).plan("Collect Diamond", 2, start)) == [("Collect Diamond", 2, 2)]


def test_ephemeral_table_is_shared_by_consecutive_crafts():
    specs = kb_specs(get_game(CLASSIC))
    both = SkillSpec.from_dict(
        {
            "name": "Make Wood Tools",
            "requirements": {"wood_pickaxe": "lambda n: 1", "wood_sword": "lambda n: 1"},
            "consumption": {},
            "gain": {"achievement:TOOLS": "lambda n: 1"},
        }
    )
    plan = steps(Resolver({**specs, both.name: both}, 9).plan("Make Wood Tools"))
    assert plan == [  # one table serves both crafts: 2 + 1 + 1 wood
        ("Collect Wood", 4, 4),
        ("Place Crafting Table", 1, 1),
        ("Make Wood Pickaxe", 1, 1),
        ("Make Wood Sword", 1, 1),
        ("Make Wood Tools", 1, 1),
    ]


def test_full_craftax_uses_the_lowest_sufficient_tier():
    r = resolver(FULL)
    assert steps(r.plan("Collect Iron")) == [
        ("Collect Wood", 6, 6),
        ("Place Crafting Table", 1, 1),
        ("Make Wood Pickaxe", 1, 1),  # tier 1 suffices for stone
        ("Collect Stone", 1, 1),
        ("Place Crafting Table", 1, 1),
        ("Make Stone Pickaxe", 1, 2),  # tier 2 for iron, not the iron pickaxe
        ("Collect Iron", 1, 1),
    ]
    held = Holdings(tiers={"pickaxe": 3})
    assert steps(r.plan("Collect Iron", start=held)) == [("Collect Iron", 1, 1)]
    with pytest.raises(MissingProviderError, match="'pickaxe' at tier 9"):
        Resolver(
            {
                **kb_specs(get_game(FULL)),
                "Mine Unobtainium": SkillSpec.from_dict(
                    {
                        "name": "Mine Unobtainium",
                        "requirements": {"pickaxe": "lambda n: 9"},
                        "consumption": {},
                        "gain": {"u": "lambda n: n"},
                    }
                ),
            },
            99,
            tool_keys(get_game(FULL)),
        ).plan("Mine Unobtainium")


def _bridge(per_run: int) -> dict[str, SkillSpec]:
    bridge = SkillSpec.from_dict(
        {
            "name": "Build Bridge",
            "requirements": {"wood": f"lambda n: {per_run}*n"},
            "consumption": {"wood": f"lambda n: {per_run}*n"},
            "gain": {"bridge": "lambda n: n"},
        }
    )
    return {"Collect Wood": kb_specs(get_game(CLASSIC))["Collect Wood"], "Build Bridge": bridge}


def test_cap_splits_a_skill_needing_12_wood():
    plan = steps(Resolver(_bridge(4), 9).plan("Build Bridge", 3))  # 3 runs x 4 wood = 12 > 9
    assert plan == [
        ("Collect Wood", 8, 8),
        ("Build Bridge", 2, 2),
        ("Collect Wood", 4, 4),
        ("Build Bridge", 1, 3),
    ]
    assert steps(Resolver(_bridge(4), 99).plan("Build Bridge", 3)) == [
        ("Collect Wood", 12, 12),
        ("Build Bridge", 3, 3),
    ]


def test_one_run_over_the_cap_is_an_error_naming_the_item():
    with pytest.raises(CapError, match=r"needs 12 'wood'.*at most 9"):
        Resolver(_bridge(12), 9).plan("Build Bridge")


def _spec(name, req=None, gain=None):
    return SkillSpec.from_dict(
        {"name": name, "requirements": req or {}, "consumption": {}, "gain": gain}
    )


def test_cycle_is_an_error_naming_the_item():
    skills = {
        "Make Egg": _spec("Make Egg", {"chicken": "lambda n: 1"}, {"egg": "lambda n: n"}),
        "Make Chicken": _spec("Make Chicken", {"egg": "lambda n: 1"}, {"chicken": "lambda n: n"}),
    }
    with pytest.raises(CycleError, match=r"'egg'|'chicken'") as info:
        Resolver(skills, 9).plan("Make Egg")
    assert "Make Egg -> Make Chicken -> Make Egg" in str(info.value)


def test_missing_provider_is_an_error_naming_the_item():
    skills = {"Forge": _spec("Forge", {"ruby": "lambda n: 2"}, {"blade": "lambda n: n"})}
    with pytest.raises(MissingProviderError, match=r"'ruby'.*'Forge'"):
        Resolver(skills, 9).plan("Forge")
    with pytest.raises(ResolverError, match="unknown skill 'Nope'"):
        Resolver(skills, 9).plan("Nope")


@pytest.mark.parametrize("env_name", [CLASSIC, FULL])
def test_every_kb_plan_is_valid_deterministic_and_ends_with_the_target(env_name):
    for target in kb_specs(get_game(env_name)):
        plan = resolver(env_name).plan(target)
        again = resolver(env_name).plan(target)
        assert plan == again
        assert plan[-1].skill == target
        assert all(s.skill != target for s in plan[:-1])
        r = resolver(env_name)
        ok, _ = r.simulate([(s.skill, s.times) for s in plan], Holdings())
        assert ok, target
        assert all(s.count >= 1 and s.times >= 1 for s in plan)


def test_plan_cli(tmp_path, capsys):
    from flowrl.cli import main
    from flowrl.skills.library import kb_library

    lib = tmp_path / "library.json"
    kb_library(get_game(CLASSIC)).save(lib)
    out, module = tmp_path / "plan.json", tmp_path / "plan_module.py"
    argv = ["plan", "--env", CLASSIC, "--library", str(lib), "--skill", "Collect Diamond"]
    assert main([*argv, "--json", "--out", str(out), "--module", str(module)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(out.read_text())
    assert [(s["skill"], s["times"], s["count"]) for s in printed["steps"]] == DIAMOND
    assert "def task_11_is_done" in module.read_text()
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert " 12. Collect Diamond  x1  (n=1)" in text
    assert main([*argv[:-1], "Fly"]) == 1
    assert "unknown skill 'Fly'" in capsys.readouterr().err


def test_plan_cli_with_a_new_proposal(tmp_path, capsys):
    from flowrl.cli import main
    from flowrl.skills.library import kb_library

    lib = tmp_path / "library.json"
    kb_library(get_game(CLASSIC), ["Collect Wood", "Place Crafting Table"]).save(lib)
    proposal = tmp_path / "proposal.json"
    proposal.write_text(json.dumps(kb_specs(get_game(CLASSIC))["Make Wood Sword"].to_dict()))
    argv = ["plan", "--env", CLASSIC, "--library", str(lib), "--skill", "Make Wood Sword"]
    assert main([*argv, "--proposal", str(proposal), "--json"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert [s["skill"] for s in plan["steps"]] == [
        "Collect Wood",
        "Place Crafting Table",
        "Make Wood Sword",
    ]
    assert plan["steps"][-1]["expert"] == 2


def test_a_plan_numbers_only_its_own_experts_in_plan_order() -> None:
    """Experts are the plan's skills, 0..k-1 in order of first use, whatever the library
    numbers them: a one-skill plan late in a large library has one expert."""
    from flowrl.skills.library import kb_library
    from flowrl.skills.planner import plan_skill

    lib = kb_library(get_game(CLASSIC))  # every KB skill, numbered 0..21 in the library
    drink = plan_skill(get_game(CLASSIC), lib, "Collect Drink").doc["steps"]
    assert [s["expert"] for s in drink] == [0] and lib.get("Collect Drink").expert > 0
    diamond = plan_skill(get_game(CLASSIC), lib, "Collect Diamond").doc["steps"]
    first_use = list(dict.fromkeys(s["skill"] for s in diamond))
    assert [s["expert"] for s in diamond] == [first_use.index(s["skill"]) for s in diamond]
    assert sorted({s["expert"] for s in diamond}) == list(range(len(first_use)))
