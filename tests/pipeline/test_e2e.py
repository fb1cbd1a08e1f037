"""End-to-end: the workflow on CPU with tiny budgets (2 slots), a mistyped model stopped by
preflight before any job, a SIGKILL during training and a rerun of the same command, a second
seed and the plain-PPO baseline added to the finished tree (no LLM call), cache hits on forced
LLM reruns, a second tree started from the first (start_from), and the cross-model comparison
with its achievement table and baseline row. Models are served by tests/data/pipeline_llm_api (the offline
chain behind the cached ``llm_api`` path) and the typo check by the loopback server, so no
network or key is used."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from tests.helpers.llm_server import API_KEY, FakeOpenAI
from tests.helpers.pipeline_helpers import (
    CLASSIC,
    REPO,
    TINY,
    env_with_llm_api,
    ledger,
    run,
    snakemake_cmd,
)

pytestmark = pytest.mark.slow

SLOT_FILES = (
    "prompt.json",
    "proposal.json",
    "skill.py",
    "validation.json",
    "plan.json",
    "plan_module.py",
    "train.json",
    "train_metrics.csv",
    "eval.json",
    "llm_calls.jsonl",
)


def _wait_for(path: Path, proc: subprocess.Popen, timeout: float) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        if proc.poll() is not None:
            out = proc.stderr.read() if proc.stderr else ""
            raise AssertionError(
                f"workflow ended (exit {proc.returncode}) before {path}:\n{out[-4000:]}"
            )
        if time.monotonic() > end:
            raise AssertionError(f"{path} did not appear in {timeout} s")
        time.sleep(0.5)


def _mtimes(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime for p in folder.rglob("*") if p.is_file()}


def test_workflow_resume_phases_and_comparison(tmp_path: Path) -> None:  # noqa: C901  # one costly run, asserted phase by phase
    env = env_with_llm_api()
    config = {**TINY, "llm_name": "gpt-4o-mini", "results_dir": "results"}
    tree = tmp_path / "results" / CLASSIC / "gpt-4o-mini"

    # 0. a mistyped model stops at preflight, before any job: no tree, close match named
    with FakeOpenAI() as server:
        typo_env = {**os.environ, "OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": server.base_url}
        typo_env["JAX_PLATFORMS"] = "cpu"
        typo = {**config, "llm_name": "gpt-5-typo"}
        failed = subprocess.run(
            snakemake_cmd(tmp_path, typo), env=typo_env, capture_output=True, text=True
        )
    assert failed.returncode != 0 and "Did you mean gpt-5" in failed.stderr, failed.stderr[-3000:]
    assert not (tmp_path / "results" / CLASSIC / "gpt-5-typo").exists()
    assert server.chat_requests() == []

    # 1. run, and kill the whole run while slot 1 trains
    proc = subprocess.Popen(
        snakemake_cmd(tmp_path, config),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_for(tree / "skill_1" / "plan.json", proc, timeout=600)
        time.sleep(6)  # the train job has started (its JAX compile alone takes longer)
        assert not (tree / "skill_1" / "train.json").exists(), "training finished before the kill"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the run's own process group, nothing else
        proc.wait(timeout=60)
    slot0 = _mtimes(tree / "skill_0")
    calls_before = {i: ledger(tree / f"skill_{i}" / "llm_calls.jsonl") for i in (0, 1)}
    assert calls_before[1], "slot 1's LLM stages ran before the kill"
    assert (tree / "skill_0" / "library.json").exists()

    # 2. rerun the same command (no --unlock): the killed run's stale lock is lifted with a
    # note; it completes, finished rules are not re-run, no second LLM call
    assert list((tmp_path / ".snakemake" / "locks").glob("*.lock")), "SIGKILL left no lock"
    rerun = run(snakemake_cmd(tmp_path, config), env)
    assert f"removed the Snakemake lock of run {proc.pid}, which is no longer running" in (
        rerun.stderr
    )
    for i in (0, 1):
        for name in SLOT_FILES:
            assert (tree / f"skill_{i}" / name).exists(), f"skill_{i}/{name} missing"
    assert (tree / "skill_1" / "library.json").exists()
    after = _mtimes(tree / "skill_0")
    assert {k: after[k] for k in slot0} == slot0, "slot 0 outputs were rewritten by the rerun"
    for i in (0, 1):
        assert ledger(tree / f"skill_{i}" / "llm_calls.jsonl") == calls_before[i]
    train1 = json.loads((tree / "skill_1" / "train.json").read_text())
    assert train1.get("status") in ("ok", "rejected")
    for i in (0, 1):  # the JAX backend each job that trained or evaluated ran on
        for name in ("train.json", "eval.json"):
            doc = json.loads((tree / f"skill_{i}" / name).read_text())
            if doc.get("status") != "skipped" and ("frames" in doc or name == "eval.json"):
                assert doc["jax"]["backend"] == "cpu" and doc["jax"]["devices"], (i, name)
    library = json.loads((tree / "skill_1" / "library.json").read_text())
    committed = {s["iteration"] for s in library["skills"]} | {
        r["iteration"] for r in library["rejected"]
    }
    assert committed == {0, 1}
    if library["skills"] and train1["status"] == "ok" and len(library["skills"]) == 2:
        assert train1["warm_started"] == [library["skills"][0]["name"]]

    # 2b. the finished tree with a second seed and the baseline: only training and evaluation
    # run (seeds share the slot's LLM calls); the baseline defaults to the tree's frame budget
    # (dry run), and trains at a tiny explicit budget here to keep the test short
    paper = {**config, "seeds": [0, 1], "baseline": {"enabled": True}}
    dry = run(snakemake_cmd(tmp_path, paper, "-n"), env).stdout
    budget = TINY["max_nodes"] * TINY["total_timesteps"]
    assert f"baseline_ppo/frames_{budget}/seed_1/eval.json" in dry
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", dry.split("Job stats:")[1], re.M))
    jobs.pop("total")
    expected = {"train_seed": "2", "evaluate_seed": "2", "baseline": "2", "achievements": "1"}
    assert jobs == {**expected, "compare": "1", "all": "1"}, jobs  # nothing else reruns
    paper["baseline"]["total_timesteps"] = 4096
    paper["use_wandb"] = True  # offline: training and the table go to local W&B run folders
    wandb_dir = tmp_path / "wandb"
    run(
        snakemake_cmd(tmp_path, paper),
        {**env, "WANDB_MODE": "offline", "WANDB_DIR": str(wandb_dir)},
    )
    runs = {p.name: p for p in (wandb_dir / "wandb").glob("offline-run-*")}
    logged = [next(p.glob("run-*.wandb")).read_bytes() for p in runs.values()]
    assert sum(b"episode_return" in data for data in logged) >= 2  # the baselines' training
    assert list(wandb_dir.glob("wandb/offline-run-*/files/media/table/achievements_*.json"))
    for i in (0, 1):
        assert ledger(tree / f"skill_{i}" / "llm_calls.jsonl") == calls_before[i]
        seed1 = json.loads((tree / f"skill_{i}" / "seeds" / "seed_1" / "eval.json").read_text())
        trained1 = json.loads((tree / f"skill_{i}" / "seeds" / "seed_1" / "train.json").read_text())
        assert trained1["status"] == "skipped" or seed1["seed"] == 1
    base = tmp_path / "results" / CLASSIC / "baseline_ppo" / "frames_4096"
    for s in (0, 1):
        assert json.loads((base / f"seed_{s}" / "train.json").read_text())["frames"] == 4096
        ach = json.loads((base / f"seed_{s}" / "eval.json").read_text())["achievements"]
        assert ach["episodes"] == TINY["evaluate"]["num_episodes"] and ach["horizon"] == 100
        assert 0.0 <= ach["crafter_score"] <= 100.0
    with open(tree / "report" / "achievements.csv") as fh:
        table = list(csv.DictReader(fh))
    score = {r["kind"]: r for r in table if r["metric"] == "crafter_score"}
    assert score["baseline"]["seeds"] == "2" and score["baseline"]["ci_low"] != ""
    if library["skills"]:
        assert score["tree"]["seeds"] == "2" and score["tree"]["ci_high"] != ""
    md = (tree / "report" / "achievements.md").read_text()
    assert "baseline_ppo" in md and "crafter_score" in md
    assert (tree / "report" / "achievements.png").stat().st_size > 1000

    # 3. forcing the LLM rules again is free: every call is a cache hit
    for i in (1, 0):  # one target at a time, so nothing downstream is rebuilt
        target = f"results/{CLASSIC}/gpt-4o-mini/skill_{i}/proposal.json"
        run(snakemake_cmd(tmp_path, config, "--force", target), env)
    for i in (0, 1):
        new = ledger(tree / f"skill_{i}" / "llm_calls.jsonl")[len(calls_before[i]) :]
        assert new and all(r["cache_hit"] for r in new), new
        assert all(r["cost_usd"] == 0.0 for r in new)

    # 4. phase 2: gpt-5 continues from gpt-4o-mini's slot 0
    phase2 = {
        **TINY,
        "llm_name": "gpt-5",
        "results_dir": "results",
        "start_from": {"tree": str(tree), "up_to": 1},
    }
    dry = run(snakemake_cmd(tmp_path, phase2, "-n"), env).stdout
    assert "rule start_from:" in dry and "skill_0/prompt.json" not in dry
    run(snakemake_cmd(tmp_path, phase2), env)
    tree_b = tmp_path / "results" / CLASSIC / "gpt-5"
    record = json.loads((tree_b / "start_from.json").read_text())
    assert record["source"] == str(tree) and record["up_to"] == 1
    assert record["models"]["skill_0"] == ["gpt-4o-mini"]
    assert (tree_b / "skill_0" / "proposal.json").read_text() == (
        tree / "skill_0" / "proposal.json"
    ).read_text()
    assert {r["llm_name"] for r in ledger(tree_b / "skill_1" / "llm_calls.jsonl")} == {"gpt-5"}
    lib_b = json.loads((tree_b / "skill_1" / "library.json").read_text())
    assert lib_b["skills"][:1] == library["skills"][:1] or not library["skills"]

    # 5. reports: per tree and the comparison of both trees
    models = (tmp_path / "results" / CLASSIC / "comparison" / "models.csv").read_text()
    assert "gpt-4o-mini" in models and "gpt-5" in models and "baseline_ppo (2 seeds)" in models
    assert models.startswith("model,tree,crafter_score,crafter_score_ci,deepest_achievement")
    skills = (tree / "report" / "skills.csv").read_text().splitlines()
    assert skills[0].startswith("slot,skill,accepted") and len(skills) == 3
    assert (tree / "report" / "curves.png").stat().st_size > 1000
    assert (tmp_path / "results" / CLASSIC / "comparison" / "models.png").exists()

    # 6. `snakemake --report`: every report() result of the tree, each with its caption
    archive = tmp_path / "report.zip"
    run(snakemake_cmd(tmp_path, config, "--report", str(archive)), env)
    with zipfile.ZipFile(archive) as zf:
        names = {Path(n).name for n in zf.namelist()}
        html = zf.read(next(n for n in zf.namelist() if n.endswith("report.html"))).decode()
    for name in ("skills.csv", "curves.png", "achievements.csv", "achievements.png"):
        assert name in names, names
    assert {"models.csv", "models.png"} <= names
    for caption in (REPO / "workflow" / "report").glob("*.rst"):
        if caption.stem != "rollout":  # .test/config: evaluate.gif off, no rollout.gif
            assert caption.read_text()[:40] in html, caption.name


def test_dead_endpoint_stops_before_any_tree(tmp_path: Path) -> None:
    """A closed port fails preflight naming OPENAI_BASE_URL: no tree, no run record."""
    env = {**os.environ, "OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": "http://127.0.0.1:1/v1"}
    env["JAX_PLATFORMS"] = "cpu"
    env.pop("PYTHONSAFEPATH", None)
    config = {**TINY, "llm_name": "gpt-5", "results_dir": "results"}
    failed = subprocess.run(
        snakemake_cmd(tmp_path, config), env=env, capture_output=True, text=True, timeout=300
    )
    assert failed.returncode != 0, failed.stderr[-3000:]
    assert "EndpointUnreachableError" in failed.stderr or "nothing answers" in failed.stderr
    assert "OPENAI_BASE_URL" in failed.stderr, failed.stderr[-3000:]
    assert not (tmp_path / "results").exists()
    assert not list((tmp_path / ".snakemake" / "flowrl_runs").glob("*.json"))
