"""The offline provider proposes toward the deepest achievements, banks the short skills
before the long plans, and retries a rejected skill once at most
(flowrl.llm.offline_curriculum)."""

from __future__ import annotations

from flowrl.envs.games import get_game
from flowrl.llm.offline import OfflineSkill, load_knowledge
from flowrl.llm.offline_curriculum import depths, next_skill, unlocks

CLASSIC = "Craftax-Classic-Symbolic-v1"


def _skill(name: str, needs: tuple[str, ...] = (), gains: tuple[str, ...] = ()) -> OfflineSkill:
    spec = {
        "name": name,
        "requirements": {k: "lambda n: 1" for k in needs},
        "gain": {k: "lambda n: n" for k in gains},
    }
    return OfflineSkill(spec=spec, code="")


def _order(skills, rejected=()) -> list[str]:
    learned: dict = {}
    order = []
    while (s := next_skill(skills, {"skills": learned, "rejected": list(rejected)})) is not None:
        order.append(s.name)
        learned[s.name] = s.spec["gain"]
    return order


def test_classic_goes_deep_with_upkeep_and_banks_short_skills_before_dead_ends() -> None:
    order = _order(load_knowledge(CLASSIC).skills())
    assert order[:12] == [
        "Collect Wood",
        "Place Crafting Table",
        "Make Wood Pickaxe",
        "Collect Stone",
        "Make Stone Pickaxe",
        "Place Furnace",
        "Collect Coal",
        # upkeep right before the first plans that outlast the thirst clock
        "Collect Drink",
        "Eat Cow",
        "Sleep",
        "Collect Iron",
        "Make Iron Pickaxe",  # long, but on the way to the diamond
    ]
    # long dead ends (the diamond, the iron sword) wait for every short skill
    for short in ("Place Stone", "Collect Sapling", "Make Wood Sword", "Defeat Zombie"):
        assert 12 <= order.index(short) < order.index("Collect Diamond"), short
    assert order[-2:] == ["Collect Diamond", "Make Iron Sword"]
    assert len(order) == len(set(order)) == len(load_knowledge(CLASSIC).skills())


def test_depth_and_unlocks_follow_requirements_transitively() -> None:
    skills = [
        _skill("wood", gains=("wood",)),
        _skill("drink", gains=("drink",)),
        _skill("table", ("wood",), ("table",)),
        _skill("pick", ("table", "wood"), ("pick",)),
        _skill("orphan", ("unobtainium",), ("x",)),
    ]
    assert depths(skills) == {"wood": 1, "drink": 1, "table": 2, "pick": 3}
    assert unlocks(skills[0], skills) == {"table", "pick"}
    assert unlocks(skills[1], skills) == set()
    assert _order(skills) == ["wood", "table", "pick", "drink", "orphan"]


def test_a_rejected_skill_is_retried_once_side_skills_first_unless_it_leads_deeper() -> None:
    skills = [_skill("wood", gains=("wood",)), _skill("drink", gains=("drink",))]
    once = [{"name": "Wood", "reason": "success 0.1 < 0.8"}]
    assert _order(skills, once) == ["drink", "wood"]  # no deeper than drink: drink first
    assert _order(skills, once * 2) == ["drink"]
    # wood leads to the table: its retry comes before the side skill
    deeper = [*skills, _skill("table", ("wood",), ("table",))]
    assert _order(deeper, once) == ["wood", "table", "drink"]
    assert _order(deeper, once * 2) == ["drink", "table"]  # never again; table unplannable
    # a deep dead end (Eat Plant: sapling -> plant -> eat) waits for the fresh side skills
    plants = [
        _skill("sapling", gains=("sapling",)),
        _skill("plant", ("sapling",), ("plant",)),
        _skill("eat plant", ("plant",), ("food",)),
        _skill("drink", gains=("drink",)),
    ]
    eat_once = [{"name": "Eat Plant", "reason": "stopped early"}]
    assert _order(plants, eat_once) == ["sapling", "plant", "drink", "eat plant"]


def test_rejections_count_over_the_whole_history_not_the_prompt_window() -> None:
    """The propose prompt lists only the latest rejections; a skill rejected twice long ago
    (Collect Iron in a depth run, 15 slots and 10 rejections earlier) stays out."""
    from flowrl.llm.prompts import MAX_REJECTED, propose_context

    skills = load_knowledge(CLASSIC).skills()
    learned = ("Collect Wood", "Place Crafting Table", "Make Wood Pickaxe", "Collect Stone")
    others = [{"name": f"Side {k}", "reasons": ["x"]} for k in range(MAX_REJECTED)]
    library = {
        "skills": [
            {"name": n, "spec": next(s.spec for s in skills if s.name == n)} for n in learned
        ],
        "rejected": [{"name": "Make Stone Pickaxe", "reasons": ["x"]}] * 2 + others,
    }
    ctx = propose_context(get_game(CLASSIC), library)
    assert "Make Stone Pickaxe" not in {r["name"] for r in ctx["rejected"]}  # out of the window
    assert ctx["rejection_counts"]["Make Stone Pickaxe"] == 2
    assert next_skill(skills, ctx).name != "Make Stone Pickaxe"
    del ctx["rejection_counts"]  # what the provider saw before: proposed again
    assert next_skill(skills, ctx).name == "Make Stone Pickaxe"


def test_siblings_of_the_round_are_not_proposed_again() -> None:
    skills = [_skill("wood", gains=("wood",)), _skill("drink", gains=("drink",))]
    assert next_skill(skills, {"skills": {}, "siblings": ["WOOD "]}).name == "drink"
    assert next_skill(skills, {"skills": {}, "siblings": ["wood", "drink"]}) is None


def test_learned_skills_read_alike_from_new_and_older_prompt_contexts() -> None:
    """The propose context lists learned skills' specs; older ones listed gains only."""
    from flowrl.envs.games import get_game
    from flowrl.llm.prompts import propose_context

    skills = load_knowledge(CLASSIC).skills()
    learned = ("Collect Wood", "Place Crafting Table")
    library = {
        "skills": [
            {"name": n, "spec": next(s.spec for s in skills if s.name == n)} for n in learned
        ]
    }
    ctx = propose_context(get_game(CLASSIC), library)
    older = {**ctx, "skills": {n: v["gain"] for n, v in ctx["skills"].items()}}
    assert next_skill(skills, ctx).name == next_skill(skills, older).name == "Make Wood Pickaxe"
