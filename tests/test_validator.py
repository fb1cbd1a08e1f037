"""The validator rejects a battery of bad skill files with a clear reason and no side effect."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flowrl.skills.validator import ValidationResult, validate_many, validate_source

CLASSIC = "Craftax-Classic-Symbolic-v1"
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
    result = validate_source(path.read_text(), CLASSIC)
    assert not result.ok
    assert result.stage == "ast"
    assert any(expectation(path) in r for r in result.reasons), result.reasons
    assert all(r.endswith(".") for r in result.reasons)  # whole sentences for the LLM
    assert not PWNED.exists()


@pytest.fixture(scope="module")
def runtime_results() -> dict[str, ValidationResult]:
    """All runtime-stage files checked in one sandbox (the batch path of the validator)."""
    results = validate_many([p.read_text() for p in RUNTIME], CLASSIC)
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
        [path.read_text(), (GOOD / "collect_wood.py").read_text()], CLASSIC, timeout_s=4
    )
    assert not slow.ok
    assert any(expectation(path) in r for r in slow.reasons), slow.reasons
    assert good.ok, good.reasons  # the skill after the slow one is still checked


def test_errors_point_at_the_line(runtime_results):
    result = runtime_results["rt_missing_field.py"]
    assert any(r.startswith("Line 4:") for r in result.reasons), result.reasons


@pytest.mark.parametrize(
    ("name", "env"),
    [
        ("collect_wood.py", CLASSIC),
        ("step_marker.py", CLASSIC),
        ("craftax_collect_wood.py", "Craftax-Symbolic-v1"),
    ],
)
def test_good_skills_pass(name: str, env: str):
    result = validate_source((GOOD / name).read_text(), env)
    assert result.ok, result.reasons
    assert result.stats["done_at_reset_rate"] < 0.5


def test_signature_is_per_game():
    # Classic code is rejected for full Craftax (its task_is_done lacks player_level ...).
    result = validate_source((GOOD / "collect_wood.py").read_text(), "Craftax-Symbolic-v1")
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
