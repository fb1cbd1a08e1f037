"""Skill specs: linear lambda amounts parsed by AST (never evaluated), typed gains, schema."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flowrl.skills.knowledge import schema_errors
from flowrl.skills.spec import Amount, SkillSpec, SpecError, parse_amount


@pytest.mark.parametrize(
    ("text", "a", "b"),
    [
        ("lambda n: 1*n + 0", 1, 0),
        ("lambda n: n", 1, 0),
        ("lambda n: 2", 0, 2),
        ("lambda n: 2*n + 3", 2, 3),
        ("lambda n: n*2 - 1", 2, -1),
        ("lambda n: 3 + n", 1, 3),
        ("lambda n: (n + 1) * 2", 2, 2),
        ("lambda x: 0*x + 1", 0, 1),
        ("lambda n: n / 2", 0.5, 0),
        ("  lambda n:   -(-n)  ", 1, 0),
    ],
)
def test_valid_forms(text, a, b):
    amount = parse_amount(text)
    assert (amount.a, amount.b) == (a, b)
    assert amount(4) == a * 4 + b


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("__import__('os')", "must be a lambda"),
        ("lambda n: __import__('os').system('rm -rf /')", "not allowed"),
        ("lambda n: open('/etc/passwd')", "not allowed"),
        ("lambda n: n.__class__", "not allowed"),
        ("lambda n: n * n", "linear"),
        ("lambda n: n ** 2", "operator"),
        ("lambda n: m + 1", "unknown name"),
        ("lambda n, m: n", "exactly one parameter"),
        ("lambda n=1: n", "exactly one parameter"),
        ("lambda n: 'a'", "only numbers"),
        ("lambda n: True", "only numbers"),
        ("lambda n: 1 / 0", "divide by zero"),
        ("lambda n: 2 / n", "divide by n"),
        ("lambda n: 1e300", "out of range"),
        ("lambda n:", "not valid Python"),
        ("n + 1", "must be a lambda"),
        ("lambda n: [n][0]", "not allowed"),
        ("lambda n: " + "1 + " * 100 + "n", "longer than"),
    ],
)
def test_hostile_and_invalid_strings_are_rejected(text, why):
    with pytest.raises(SpecError, match=why):
        parse_amount(text)


def test_parsing_never_evaluates(monkeypatch):
    import builtins

    def boom(*_a, **_k):
        raise AssertionError("eval/exec called")

    monkeypatch.setattr(builtins, "eval", boom)
    monkeypatch.setattr(builtins, "exec", boom)
    assert parse_amount("lambda n: 2*n + 1")(3) == 7
    with pytest.raises(SpecError):
        parse_amount("lambda n: exec('1')")


@given(st.integers(-50, 50), st.integers(-50, 50))
def test_canonical_round_trip(a, b):
    text = f"lambda n: {a}*n + {b}"
    amount = parse_amount(text)
    assert (amount.a, amount.b) == (a, b)
    again = parse_amount(amount.canonical)
    assert (again.a, again.b) == (a, b)


def test_count_rounds_up_and_never_negative():
    assert parse_amount("lambda n: n / 2").count(3) == 2
    assert parse_amount("lambda n: n - 5").count(1) == 0
    assert Amount.constant(2).count(10) == 2


SPEC = {
    "name": "Make Stone Pickaxe",
    "description": "craft",
    "requirements": {
        "wood": "lambda n: n",
        "stone": "lambda n: n",
        "crafting_table": "lambda n: 1",
    },
    "consumption": {"wood": "lambda n: n", "stone": "lambda n: n"},
    "gain": {"stone_pickaxe": "lambda n: n"},
    "ephemeral": False,
}


def test_spec_round_trip_and_schema():
    spec = SkillSpec.from_dict(SPEC)
    assert spec.to_dict() == SPEC
    assert schema_errors("skill_spec", spec.to_dict()) == []
    assert spec.primary_gain.type == "inventory"


def test_typed_gains():
    spec = SkillSpec.from_dict(
        {
            "name": "X",
            "requirements": {},
            "consumption": {},
            "gain": {
                "pickaxe": {"type": "tool", "tier": 2},
                "achievement:COLLECT_DIAMOND": "lambda n: 1",
                "player_level": "lambda n: 1",
                "food": "lambda n: 6*n",
                "table": {"type": "ephemeral", "amount": "lambda n: 1"},
            },
        }
    )
    kinds = {k: g.type for k, g in spec.gain.items()}
    assert kinds == {
        "pickaxe": "tool",
        "achievement:COLLECT_DIAMOND": "achievement",
        "player_level": "level",
        "food": "stat",
        "table": "ephemeral",
    }
    assert spec.gain["pickaxe"].tier == 2
    assert schema_errors("skill_spec", spec.to_dict()) == []
    assert SkillSpec.from_dict(spec.to_dict()) == spec
    eph = SkillSpec.from_dict(
        {"name": "T", "gain": {"crafting_table": "lambda n: 1"}, "ephemeral": True}
    )
    assert eph.gain["crafting_table"].type == "ephemeral"


@pytest.mark.parametrize(
    ("patch", "why"),
    [
        ({"name": ""}, "name"),
        ({"gain": {}}, "gain something"),
        ({"gain": {"x": {"type": "tool"}}}, "tier"),
        ({"gain": {"x": {"type": "magic", "amount": "lambda n: 1"}}}, "type must be"),
        ({"requirements": {"wood": "__import__('os')"}}, "requirements\\['wood'\\]"),
        ({"consumption": {"wood": "lambda n: -n"}}, "negative"),
        ({"ephemeral": "yes"}, "ephemeral"),
        ({"colour": "red"}, "unknown spec fields"),
    ],
)
def test_bad_specs_name_the_problem(patch, why):
    with pytest.raises(SpecError, match=why):
        SkillSpec.from_dict({**SPEC, **patch})


def test_schema_rejects_non_lambda_amounts():
    bad = {**SPEC, "requirements": {"wood": "3"}}
    assert schema_errors("skill_spec", bad)
