"""Workflow config: schema, tree paths, driver flags -> config keys, and Snakemake dry runs
that put each model in its own tree without any API key."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from flowrl.bottomup import build_parser, overrides_from
from flowrl.pipeline.config import (
    ConfigError,
    analyse_enabled,
    baseline_frames,
    load_config,
    probe_timesteps,
    run_seeds,
    train_settings,
    tree_dir,
)
from flowrl.rl.config import PROFILES
from tests.helpers.pipeline_helpers import CLASSIC, REPO, SNAKEFILE


def test_defaults_validate_and_name_the_tree() -> None:
    config = load_config()
    assert config["llm_name"] == "gpt-5" and config["max_parallel_skills"] == 1
    assert tree_dir(config) == f"results/{CLASSIC}/gpt-5"
    assert tree_dir({**config, "tree_dir": "exp/run/"}) == "exp/run"
    quick = load_config(configfiles=[REPO / "config/presets/quick.yaml"])
    assert quick["llm_name"] == "offline" and quick["train"]["profile"] == "cpu"
    assert train_settings(quick)["num_envs"] == 32
    assert train_settings(quick)["total_timesteps"] == int(quick["total_timesteps"])


@pytest.mark.parametrize(
    "bad",
    [
        {"max_nodes": 0},
        {"unknown_key": 1},
        {"start_from": {"tree": "x"}},
        {"train": {"profile": "tpu"}},
        {"seeds": [0, 0]},
        {"seeds": []},
        {"baseline": {"enabled": True, "frames": 10}},
    ],
)
def test_schema_rejects_bad_config(bad: dict) -> None:
    with pytest.raises(ConfigError):
        load_config(bad)


def test_seeds_and_baseline_budget() -> None:
    config = load_config()
    assert run_seeds(config) == [0] and not config["baseline"]["enabled"]
    assert run_seeds(load_config({"seed": 3})) == [3]
    seeded = load_config({"seeds": "[2, 5]", "max_nodes": 3, "total_timesteps": 1000})
    assert run_seeds(seeded) == [2, 5] and train_settings(seeded)["seed"] == 2
    assert baseline_frames(seeded) == 3000  # the tree's frame budget by default
    assert baseline_frames({**seeded, "baseline": {"total_timesteps": 1e3}}) == 1000
    with pytest.raises(ConfigError, match="start seeds with it"):
        load_config({"seed": 1, "seeds": [2, 3]})


def test_start_from_must_leave_slots() -> None:
    with pytest.raises(ConfigError, match="raise max_nodes"):
        load_config({"max_nodes": 3, "start_from": {"tree": "t", "up_to": 3}})


def test_candidates_and_analysis_keys() -> None:
    config = load_config()
    assert config["candidates"] == 1 and config["analyse"] is None
    assert analyse_enabled(config)  # gpt-5: a real model analyses by default
    assert not analyse_enabled({**config, "llm_name": "offline"})
    assert not analyse_enabled({**config, "analyse": False})
    assert analyse_enabled({**config, "llm_name": "offline", "analyse": True})
    assert probe_timesteps({"total_timesteps": 80000, "candidate_probe_fraction": 0.25}) == 20000
    with pytest.raises(ConfigError, match="raise candidate_probe_fraction"):
        load_config({"candidates": 3, "total_timesteps": 3, "candidate_probe_fraction": 0.1})
    with pytest.raises(ConfigError, match="candidate_probe_fraction"):
        load_config({"candidate_probe_fraction": 1.5})


def test_bottomup_flags_become_config_keys() -> None:
    args = build_parser().parse_args(
        [
            "--env_name",
            "Craftax-Classic-Symbolic-v1",
            "--llm_name",
            "gpt-4o-mini",
            "--max_nodes",
            "3",
            "--total_timesteps",
            "5e7",
            "--no-use_wandb",
            "--graph-path",
            "exp/test_run/",
        ]
    )
    assert overrides_from(args) == {
        "env_name": CLASSIC,
        "llm_name": "gpt-4o-mini",
        "max_nodes": 3,
        "use_wandb": False,
        "total_timesteps": 50_000_000,
        "tree_dir": "exp/test_run",
    }
    par = build_parser(parallel=True).parse_args(
        ["--llm_name", "gpt-5", "--max_nodes", "6", "--graph-path", "exp/p", "--current_i", "3"]
    )
    out = overrides_from(par)
    assert out["max_parallel_skills"] == 2
    assert out["start_from"] == {"tree": "exp/p", "up_to": 3}
    load_config(out)  # valid


def _dry_run(*config: str, extra: tuple[str, ...] = ()) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "--snakefile",
            str(SNAKEFILE),
            *extra,
            "--config",
            *config,
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_dry_run_trees_per_model_without_key() -> None:
    mini = _dry_run("llm_name=gpt-4o-mini", "max_nodes=2", "results_dir=/nonexistent/results")
    assert f"/nonexistent/results/{CLASSIC}/gpt-4o-mini/skill_1/proposal.json" in mini
    assert "/gpt-5/" not in mini
    big = _dry_run("llm_name=gpt-5", "max_nodes=2", "results_dir=/nonexistent/results")
    assert f"/nonexistent/results/{CLASSIC}/gpt-5/skill_0/proposal.json" in big
    assert "gpt-4o-mini" not in big
    assert "candidate" not in big and "rule select:" not in big  # K=1: today's DAG
    par = _dry_run("llm_name=gpt-5", "max_nodes=4", "max_parallel_skills=2", "results_dir=/x")
    # one commit per round of two slots; the second round prompts from slot 1's library
    assert par.count("rule commit:") == 2
    assert (
        f"input: /x/{CLASSIC}/gpt-5/skill_1/library.json, /x/{CLASSIC}/gpt-5/skill_2/proposal.json"
        in par
    )
    assert _jobs(big)["analyse"] == 2  # analysis is on by default for a real model


def _jobs(dry: str) -> dict[str, int]:
    """The job-count table of a dry run: rule -> jobs."""
    table = dry.split("Job stats:", 1)[1].split("\ntotal", 1)[0].splitlines()[3:]
    return {rule: int(count) for rule, count in (line.split() for line in table)}


def test_dry_run_candidates_are_jobs_of_their_own() -> None:
    dry = _dry_run("llm_name=offline", "max_nodes=1", "candidates=3", "results_dir=/x")
    jobs = _jobs(dry)
    for rule in ("candidate_code", "candidate_validate", "candidate_probe"):
        assert jobs[rule] == 3, jobs
    assert jobs["select"] == 1 and "code" not in jobs and "validate" not in jobs
    assert "analyse" not in jobs  # offline: no analysis unless asked
    assert f"/x/{CLASSIC}/offline/skill_0/candidates/c2/train.json" in dry


def test_dry_run_start_from_copies_once_and_honours_an_old_seed_json(tmp_path: Path) -> None:
    """start_from's copy is one job; a tree started when the rule was ``seed`` (record
    ``seed.json``) is started already: no copy job, so no slot after it reruns."""
    source = tmp_path / "a"
    (source / "skill_0").mkdir(parents=True)
    (source / "skill_0" / "library.json").write_text('{"skills": []}')
    config = (
        "llm_name=offline",
        "max_nodes=2",
        f"results_dir={tmp_path}/results",
        f"start_from={{tree: {source}, up_to: 1}}",
    )
    tree = tmp_path / "results" / CLASSIC / "offline"
    fresh = _jobs(_dry_run(*config))
    assert fresh["start_from"] == 1 and "init_library" not in fresh
    (tree / "skill_0").mkdir(parents=True)
    (tree / "skill_0" / "library.json").write_text('{"skills": []}')
    (tree / "seed.json").write_text(f'{{"source": "{source}", "up_to": 1}}')
    old = _jobs(_dry_run(*config))
    assert "start_from" not in old and old["propose"] == 1  # slot 1 only


def test_real_run_without_key_fails_before_any_job(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "PYTHONPATH")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "--cores",
            "1",
            "--snakefile",
            str(SNAKEFILE),
            "--directory",
            str(tmp_path),
            "--configfile",  # the CPU trainer: this machine's JAX has no GPU
            str(REPO / "config/presets/cpu.yaml"),
            "--config",
            "llm_name=gpt-5",
            "max_nodes=1",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode != 0
    assert "OPENAI_API_KEY" in proc.stdout + proc.stderr
    assert not (tmp_path / "results").exists()


@pytest.mark.parametrize("preset", sorted((REPO / "config" / "presets").glob("*.yaml")), ids=str)
def test_every_preset_is_a_workflow_configfile(preset: Path) -> None:
    config = load_config(configfiles=[preset])  # validates against the schema
    if preset.stem in PROFILES:  # cpu.yaml / gpu.yaml select that trainer profile
        assert config["train"]["profile"] == preset.stem
        assert not config["train"]["settings"], "the profile's sizes live in rl/config.py"


def _from_command_line(*entries: str) -> dict:
    """What Snakemake makes of ``--config <entries>`` (nested values stay strings)."""
    from snakemake.cli import parse_config

    return parse_config(list(entries))


@pytest.mark.parametrize(
    ("entry", "key", "typed"),
    [
        ("seeds=[0,1]", ("seeds",), [0, 1]),
        ("llm={max_repairs: 1}", ("llm", "max_repairs"), 1),
        ("llm={deadline_s: 25}", ("llm", "deadline_s"), 25.0),
        ("llm={retry: {max_attempts: 3}}", ("llm", "retry", "max_attempts"), 3),
        ("llm={reasoning_effort: null}", ("llm", "reasoning_effort"), None),
        ("train={settings: {num_envs: 64, anneal_lr: false}}", ("train", "settings"), None),
        ("evaluate={num_episodes: 4, gif: false}", ("evaluate", "gif"), False),
        ("resources={train: {gpu: 0}}", ("resources", "train", "gpu"), 0),
    ],
)
def test_command_line_values_take_their_types(entry: str, key: tuple, typed: object) -> None:
    config = load_config(_from_command_line(entry))
    value = config
    for part in key:
        value = value[part]
    if key == ("train", "settings"):
        assert value == {"num_envs": 64, "anneal_lr": False}
    else:
        assert value == typed and type(value) is type(typed)


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ("llm={max_repairs: x}", "llm.max_repairs='x' is not an integer"),
        ("llm={deadline: 25}", "llm.deadline is not a LLMSettings setting"),
        ("train={settings: {num_envs: 1.5}}", "train.settings.num_envs='1.5' is not an integer"),
        ("seeds=[a]", "seeds"),
    ],
)
def test_command_line_values_that_cannot_be_typed_are_refused(entry: str, named: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(named)):
        load_config(_from_command_line(entry))


def test_command_line_values_reach_the_jobs_typed() -> None:
    """The README's examples on a real dry run: the shell lines carry numbers, not strings."""
    dry = _dry_run(
        "llm_name=offline",
        "max_nodes=1",
        "seeds=[0,1]",
        "llm={max_repairs: 1, deadline_s: 25}",
        "results_dir=/x",
        extra=("-p",),
    )
    assert '"deadline_s":25.0,"max_repairs":1' in dry
    assert _jobs(dry)["train_seed"] == 1


def _schema_keys(props: dict, prefix: str = "") -> list[str]:
    """Every key a user sets: the leaves, and the mappings that are free-form (``llm``)."""
    keys = []
    for name, prop in props.items():
        objects = [prop, *(o for o in prop.get("oneOf", []) if o.get("type") == "object")]
        nested = [
            k
            for obj in objects
            for k in _schema_keys(obj.get("properties", {}), f"{prefix}{name}.")
        ]
        keys += nested or [prefix + name]
    return keys


def test_config_readme_describes_every_key() -> None:
    """config/README.md (the catalog's configuration page) has a row for every schema key."""
    import yaml

    schema = yaml.safe_load((REPO / "workflow/schemas/config.schema.yaml").read_text())
    readme = (REPO / "config" / "README.md").read_text()
    missing = [k for k in _schema_keys(schema["properties"]) if f"| `{k}` |" not in readme]
    assert not missing, f"config/README.md lacks rows for {missing}"


def test_catalog_file_and_test_config() -> None:
    import yaml

    catalog = yaml.safe_load((REPO / ".snakemake-workflow-catalog.yml").read_text())["usage"]
    assert catalog["software-stack-deployment"]["conda"] is True and catalog["report"] is True
    assert "llm_name" in catalog["mandatory-flags"]["flags"]
    test_config = REPO / ".test" / "config" / "config.yaml"
    config = load_config(configfiles=[REPO / "config/presets/quick.yaml", test_config])
    assert config["train"]["profile"] == "cpu" and config["max_nodes"] == 2
