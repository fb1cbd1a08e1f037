"""The validator rejects a battery of bad skill files with a clear reason and no side effect.

Files in tests/bad_skills/ start with `# expect: <part of the reason>`; `rt_*` files pass
the static allowlist and are refused by the sandbox, every other file is refused
statically (nothing runs).
"""

from __future__ import annotations

import json
import keyword
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flowrl.cli import main as cli_main
from flowrl.envs.games import get_game
from flowrl.skills.allowlist import SAFE_BUILTINS, game_rules, library_paths
from flowrl.skills.ast_check import check_source
from flowrl.skills.validator import ValidationResult, validate_many, validate_source

CLASSIC = "Craftax-Classic-Symbolic-v1"
GAME = get_game(CLASSIC)
BAD = Path(__file__).resolve().parent / "bad_skills"
GOOD = Path(__file__).resolve().parent / "skills"
PWNED = Path("/tmp/flowrl_pwned")


def expectation(path: Path) -> str:
    match = re.match(r"# expect: (.+)", path.read_text().splitlines()[0])
    assert match, f"{path.name} lacks its '# expect:' line"
    return match.group(1)


STATIC = sorted(p for p in BAD.glob("*.py") if not p.name.startswith("rt_"))
RUNTIME = sorted(p for p in BAD.glob("rt_*.py") if p.name != "rt_slow_trace.py")


@pytest.mark.parametrize("path", STATIC, ids=lambda p: p.stem)
def test_static_rejections(path: Path):
    PWNED.unlink(missing_ok=True)
    result = validate_source(path.read_text(), GAME)
    assert not result.ok
    assert result.stage == "ast"
    assert any(expectation(path) in r for r in result.reasons), result.reasons
    assert all(r.endswith(".") for r in result.reasons)  # whole sentences for the LLM
    assert not PWNED.exists()


@pytest.fixture(scope="module")
def runtime_results() -> dict[str, ValidationResult]:
    """All runtime-stage files checked in one sandbox (the batch path of the validator)."""
    results = validate_many([p.read_text() for p in RUNTIME], GAME)
    return {p.name: r for p, r in zip(RUNTIME, results, strict=True)}


@pytest.mark.parametrize("path", RUNTIME, ids=lambda p: p.stem)
def test_runtime_rejections(path: Path, runtime_results):
    result = runtime_results[path.name]
    assert not result.ok
    assert result.stage == "runtime"
    assert any(expectation(path) in r for r in result.reasons), result.reasons


def test_slow_code_times_out_alone_in_a_batch():
    path = BAD / "rt_slow_trace.py"
    slow, good = validate_many(
        [path.read_text(), (GOOD / "collect_wood.py").read_text()], GAME, timeout_s=4
    )
    assert not slow.ok
    assert any(expectation(path) in r for r in slow.reasons), slow.reasons
    assert good.ok, good.reasons  # the skill after the slow one is still checked


def test_errors_point_at_the_line():
    result = validate_source((BAD / "missing_field.py").read_text(), GAME)
    assert any(r.startswith("Line 4:") for r in result.reasons), result.reasons


@pytest.mark.parametrize("path", STATIC, ids=lambda p: p.stem)
def test_every_static_refusal_exits_nonzero(path: Path, capsys):
    assert cli_main(["validate", str(path), "--env", CLASSIC, "--json"]) == 1
    payload = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert payload["ok"] is False and payload["reasons"]


# --- the allowlist is an allowlist: unknown attribute names are refused -----------------
SKILL = """
def helper(x):
    return x


def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    value = {expr}
    return 0.0


def task_network_number():
    return 0
"""
RULES = game_rules(GAME)
FUNCTIONS, VALUES = library_paths()
BASES = {
    "inventory_diff.{}": RULES.data_attributes,
    "closest_blocks.{}": RULES.data_attributes,
    "helper(closest_blocks).{}": RULES.data_attributes,
    "BlockType.TREE.value.{}": RULES.data_attributes,
    "jnp.{}": {p[4:] for p in FUNCTIONS | VALUES if p.startswith("jnp.")} | {"linalg"},
    "jax.{}": {"lax", "nn", "numpy", "Array"},
    "jax.lax.{}": {p[8:] for p in FUNCTIONS if p.startswith("jax.lax.")},
    "BlockType.{}": RULES.enum_members["BlockType"],
}
identifiers = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,24}\Z").filter(
    lambda s: not keyword.iskeyword(s)
)


@settings(max_examples=60, deadline=None)
@given(base=st.sampled_from(sorted(BASES)), attr=identifiers)
def test_attributes_outside_the_allowlist_are_refused(base: str, attr: str):
    expr = base.format(attr)
    reasons = check_source(SKILL.format(expr=expr), GAME)
    if attr in BASES[base]:
        assert not reasons, (expr, reasons)
    else:
        assert reasons, f"{expr} was not refused"
        assert all(r.endswith(".") for r in reasons)


@settings(max_examples=40, deadline=None)
@given(name=identifiers)
def test_unknown_names_are_refused(name: str):
    visible = {
        "helper",
        "inventory_diff",
        "closest_blocks",
        "closest_blocks_prev",
        "value",
        "player_intrinsics_diff",
        "achievements_diff",
        "health_penalty",
        "jnp",
        "jax",
        "BlockType",
        "Achievement",
        "Action",
        "True",
        "False",
        "None",
        *RULES.signature.reward,
    }
    reasons = check_source(SKILL.format(expr=f"{name} + 0"), GAME)
    builtin = name in SAFE_BUILTINS
    if name in visible:
        return  # names the skill can see (their use as values is checked elsewhere)
    assert reasons or builtin, f"{name} was not refused"


@pytest.mark.parametrize(
    ("name", "env"),
    [
        ("collect_wood.py", CLASSIC),
        ("step_marker.py", CLASSIC),
        ("allowlist_tour.py", CLASSIC),
        ("craftax_collect_wood.py", "Craftax-Symbolic-v1"),
    ],
)
def test_good_skills_pass(name: str, env: str):
    result = validate_source((GOOD / name).read_text(), get_game(env))
    assert result.ok, result.reasons
    assert result.stats["done_at_reset_rate"] < 0.5
    assert result.stats["done_after_one_step_rate"] < 0.5
    assert {1, 3, 10, 10_000} <= set(result.stats["n_probed"])
    assert 0 < result.stats["cost_ratio"] < 1.0  # recorded, far below the budget of 5


def test_refusals_name_the_state_that_broke_the_contract(runtime_results):
    """A reward infinite only next to a crafting table is caught on a later or scripted
    state (validation used to see the first 32 random steps only) and the reason says
    which state, so the LLM knows what to guard."""
    (reason,) = runtime_results["rt_inf_next_to_table.py"].reasons
    assert "e.g. on: " in reason and "guard divisions" in reason
    (slow,) = runtime_results["rt_cost_bomb_at_other_n.py"].reasons
    assert "times a whole game step" in slow


def test_reward_that_pays_for_gathering_but_not_for_spending_is_flagged():
    """The reward-cycle probe: walking sampled transitions forward and back earns nothing
    under a signed (potential-based) count reward, but earns the gather pay every cycle
    when spending costs nothing. A warning, not a refusal."""
    signed = (GOOD / "collect_wood.py").read_text()
    hacked = signed.replace("inventory_diff.wood * 1.0", "jnp.maximum(inventory_diff.wood, 0)")
    assert hacked != signed
    good, bad = validate_many([signed, hacked], GAME)
    assert good.ok and bad.ok, (good.reasons, bad.reasons)
    assert good.stats["reward_cycle_rate"] == 0.0 and "warning" not in good.stats
    assert bad.stats["reward_cycle_rate"] > 0.02
    assert "not potential-based" in bad.stats["warning"]


def test_signature_is_per_game():
    # Classic code is rejected for full Craftax (its task_is_done lacks player_level ...).
    result = validate_source(
        (GOOD / "collect_wood.py").read_text(), get_game("Craftax-Symbolic-v1")
    )
    assert not result.ok and "player_level" in result.reasons[0]


def test_cli_exit_codes_and_json(tmp_path: Path):
    good = subprocess.run(
        [
            sys.executable,
            "-m",
            "flowrl.cli",
            "validate",
            str(GOOD / "collect_wood.py"),
            "--env",
            CLASSIC,
        ],
        capture_output=True,
        text=True,
    )
    assert good.returncode == 0, good.stdout + good.stderr
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "flowrl.cli",
            "validate",
            str(BAD / "import_os.py"),
            "--json",
            "--out",
            str(tmp_path / "v.json"),
        ],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    payload = json.loads(bad.stdout.strip().splitlines()[-1])
    assert payload["ok"] is False and "import" in payload["reasons"][0]
    assert json.loads((tmp_path / "v.json").read_text())["ok"] is False


def test_watchdog_ends_a_skill_stuck_where_no_alarm_reaches(monkeypatch):
    from flowrl.skills import validator

    monkeypatch.setattr(validator, "WATCHDOG_GRACE_S", 1.0)
    start = time.monotonic()
    done, died_on, reason = validator._run_sandbox(
        [{"source": "", "n": 1}], GAME, 0, 1.0, 1.0, module="tests.sandbox_hang"
    )
    assert time.monotonic() - start < 30
    assert (done, died_on) == ({}, 0)
    assert "took longer than 1 s" in reason
