"""The workflow fits its ecosystem: `snakemake --lint` and `snakefmt --check` are clean, and
the rules' conda env (workflow/envs/flowrl.yaml) pins what pyproject.toml pins."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ENV_FILE = REPO / "workflow" / "envs" / "flowrl.yaml"

# Every rule file is active in at least one of these (candidates, baseline, seeds, analyse).
LINT_CONFIGS = [
    ["llm_name=offline"],
    ["llm_name=offline", "candidates=2", "baseline={enabled: true}", "seeds=[0,1]", "analyse=true"],
]


@pytest.mark.parametrize("config", LINT_CONFIGS, ids=lambda c: " ".join(c))
def test_snakemake_lint_is_clean(config: list[str]) -> None:
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "--lint",
        "--configfile",
        "config/presets/quick.yaml",
    ]
    proc = subprocess.run(
        [*cmd, "--config", *config],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_snakefmt_check_is_clean() -> None:
    exe = shutil.which("snakefmt") or str(Path(sys.executable).parent / "snakefmt")
    proc = subprocess.run(
        [exe, "--check", "workflow"], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-4000:]


def test_every_rule_declares_the_conda_env() -> None:
    for rules in (REPO / "workflow" / "rules").glob("*.smk"):
        text = rules.read_text()
        assert text.count("    rule ") + text.count("\nrule ") == text.count(
            '"../envs/flowrl.yaml"'
        ), rules.name


def test_conda_env_pins_the_runtime_dependencies_of_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load(ENV_FILE.read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert sorted(pip) == sorted(project["dependencies"])
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert project["requires-python"].lstrip(">=") in python
