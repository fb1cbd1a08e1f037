"""End-to-end: the workflow on CPU with tiny budgets (2 slots), a mistyped model stopped by
preflight before any job, a SIGKILL during training and a rerun of the same command, a second
seed and the plain-PPO baseline added to the finished tree (no LLM call), cache hits on forced
LLM reruns, a second tree started from the first (start_from), and the cross-model comparison
with its achievement table and baseline row. Models are served by tests/data/pipeline_llm_api (the offline
chain behind the cached ``llm_api`` path) and the typo check by the loopback server, so no
network or key is used.

One tree is built once per module, phase by phase: each phase is a module fixture that runs
on the one before it (so any test alone still runs every earlier phase) and keeps what only
that moment shows (a process's output, a snapshot taken before the next run); each test
asserts one phase. Tests run in file order, so a test reads the tree as its phase left it."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import subprocess
import time
import zipfile
from dataclasses import dataclass
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


@dataclass
class Workflow:
    work: Path  # Snakemake's working directory
    env: dict[str, str]
    config: dict
    tree: Path  # the gpt-4o-mini tree


@dataclass
class Typo:
    failed: subprocess.CompletedProcess
    chat_requests: list


@dataclass
class Killed:
    pid: int  # the killed run's Snakemake
    trained_before_kill: bool
    slot0: dict[str, float]  # slot 0's files and mtimes after the kill
    calls: dict[int, list[dict]]  # each slot's LLM calls after the kill
    locks: list[Path]  # Snakemake's locks after the kill


@dataclass
class Resumed:
    stderr: str
    slot0: dict[str, float]  # slot 0's files and mtimes after the rerun
    library: dict  # slot 1's library after the rerun


@dataclass
class Seeds:
    dry: str  # the dry run of the tree with seeds 0 1 and the baseline
    wandb_dir: Path


# --- the phases, each run once per module ---------------------------------------------------
@pytest.fixture(scope="module")
def wf(tmp_path_factory: pytest.TempPathFactory) -> Workflow:
    work = tmp_path_factory.mktemp("e2e")
    config = {**TINY, "llm_name": "gpt-4o-mini", "results_dir": "results"}
    return Workflow(work, env_with_llm_api(), config, work / "results" / CLASSIC / "gpt-4o-mini")


@pytest.fixture(scope="module")
def typo(wf: Workflow) -> Typo:
    """0. a mistyped model against the loopback server."""
    with FakeOpenAI() as server:
        typo_env = {**os.environ, "OPENAI_API_KEY": API_KEY, "OPENAI_BASE_URL": server.base_url}
        typo_env["JAX_PLATFORMS"] = "cpu"
        typo = {**wf.config, "llm_name": "gpt-5-typo"}
        failed = subprocess.run(
            snakemake_cmd(wf.work, typo), env=typo_env, capture_output=True, text=True
        )
    return Typo(failed, server.chat_requests())


@pytest.fixture(scope="module")
def killed(wf: Workflow, typo: Typo) -> Killed:
    """1. run, and kill the whole run while slot 1 trains."""
    tree = wf.tree
    proc = subprocess.Popen(
        snakemake_cmd(wf.work, wf.config),
        env=wf.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _wait_for(tree / "skill_1" / "plan.json", proc, timeout=600)
        time.sleep(6)  # the train job has started (its JAX compile alone takes longer)
        trained = (tree / "skill_1" / "train.json").exists()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the run's own process group, nothing else
        proc.wait(timeout=60)
    return Killed(
        pid=proc.pid,
        trained_before_kill=trained,
        slot0=_mtimes(tree / "skill_0"),
        calls={i: ledger(tree / f"skill_{i}" / "llm_calls.jsonl") for i in (0, 1)},
        locks=list((wf.work / ".snakemake" / "locks").glob("*.lock")),
    )


@pytest.fixture(scope="module")
def resumed(wf: Workflow, killed: Killed) -> Resumed:
    """2. rerun the same command (no --unlock)."""
    rerun = run(snakemake_cmd(wf.work, wf.config), wf.env)
    library = json.loads((wf.tree / "skill_1" / "library.json").read_text())
    return Resumed(rerun.stderr, _mtimes(wf.tree / "skill_0"), library)


@pytest.fixture(scope="module")
def seeds(wf: Workflow, resumed: Resumed) -> Seeds:
    """2b. the finished tree with a second seed and the baseline: a dry run at the default
    baseline budget, then a run with the baseline at a tiny explicit budget (to keep the test
    short) and offline W&B."""
    paper = {**wf.config, "seeds": [0, 1], "baseline": {"enabled": True}}
    dry = run(snakemake_cmd(wf.work, paper, "-n"), wf.env).stdout
    paper["baseline"]["total_timesteps"] = 4096
    paper["use_wandb"] = True  # offline: training and the table go to local W&B run folders
    wandb_dir = wf.work / "wandb"
    run(
        snakemake_cmd(wf.work, paper),
        {**wf.env, "WANDB_MODE": "offline", "WANDB_DIR": str(wandb_dir)},
    )
    return Seeds(dry, wandb_dir)


@pytest.fixture(scope="module")
def forced(wf: Workflow, seeds: Seeds) -> None:
    """3. force the LLM rules again, one target at a time, so nothing downstream is rebuilt."""
    for i in (1, 0):
        target = f"results/{CLASSIC}/gpt-4o-mini/skill_{i}/proposal.json"
        run(snakemake_cmd(wf.work, wf.config, "--force", target), wf.env)


@pytest.fixture(scope="module")
def started_from(wf: Workflow, forced: None) -> str:
    """4. phase 2: gpt-5 continues from gpt-4o-mini's slot 0; returns the dry run's output."""
    phase2 = {
        **TINY,
        "llm_name": "gpt-5",
        "results_dir": "results",
        "start_from": {"tree": str(wf.tree), "up_to": 1},
    }
    dry = run(snakemake_cmd(wf.work, phase2, "-n"), wf.env).stdout
    run(snakemake_cmd(wf.work, phase2), wf.env)
    return dry


@pytest.fixture(scope="module")
def report_archive(wf: Workflow, started_from: str) -> Path:
    """6. `snakemake --report` of the tree."""
    archive = wf.work / "report.zip"
    run(snakemake_cmd(wf.work, wf.config, "--report", str(archive)), wf.env)
    return archive


# --- 0. preflight ---------------------------------------------------------------------------
def test_mistyped_model_stops_at_preflight_before_any_job(wf: Workflow, typo: Typo) -> None:
    """No tree, a close match named, no chat request."""
    failed = typo.failed
    assert failed.returncode != 0 and "Did you mean gpt-5" in failed.stderr, failed.stderr[-3000:]
    assert not (wf.work / "results" / CLASSIC / "gpt-5-typo").exists()
    assert typo.chat_requests == []


# --- 1. the kill ----------------------------------------------------------------------------
def test_kill_lands_while_slot_1_trains(wf: Workflow, killed: Killed) -> None:
    assert not killed.trained_before_kill, "training finished before the kill"
    assert killed.calls[1], "slot 1's LLM stages ran before the kill"
    assert (wf.tree / "skill_0" / "library.json").exists()
    assert killed.locks, "SIGKILL left no lock"


# --- 2. the rerun ---------------------------------------------------------------------------
def test_rerun_lifts_the_killed_runs_stale_lock(killed: Killed, resumed: Resumed) -> None:
    assert f"removed the Snakemake lock of run {killed.pid}, which is no longer running" in (
        resumed.stderr
    )


def test_rerun_completes_without_rerunning_finished_rules_or_llm_calls(
    wf: Workflow, killed: Killed, resumed: Resumed
) -> None:
    tree = wf.tree
    for i in (0, 1):
        for name in SLOT_FILES:
            assert (tree / f"skill_{i}" / name).exists(), f"skill_{i}/{name} missing"
    assert (tree / "skill_1" / "library.json").exists()
    slot0 = killed.slot0
    after = resumed.slot0
    assert {k: after[k] for k in slot0} == slot0, "slot 0 outputs were rewritten by the rerun"
    for i in (0, 1):
        assert ledger(tree / f"skill_{i}" / "llm_calls.jsonl") == killed.calls[i]


def test_rerun_trains_slot_1_and_commits_both_slots(wf: Workflow, resumed: Resumed) -> None:
    tree = wf.tree
    train1 = json.loads((tree / "skill_1" / "train.json").read_text())
    assert train1.get("status") in ("ok", "rejected")
    for i in (0, 1):  # the JAX backend each job that trained or evaluated ran on
        for name in ("train.json", "eval.json"):
            doc = json.loads((tree / f"skill_{i}" / name).read_text())
            if doc.get("status") != "skipped" and ("frames" in doc or name == "eval.json"):
                assert doc["jax"]["backend"] == "cpu" and doc["jax"]["devices"], (i, name)
    library = resumed.library
    committed = {s["iteration"] for s in library["skills"]} | {
        r["iteration"] for r in library["rejected"]
    }
    assert committed == {0, 1}
    if library["skills"] and train1["status"] == "ok" and len(library["skills"]) == 2:
        assert train1["warm_started"] == [library["skills"][0]["name"]]


# --- 2b. a second seed and the baseline -----------------------------------------------------
def test_seeds_and_baseline_rerun_only_training_evaluation_and_tables(seeds: Seeds) -> None:
    """Seeds share the slot's LLM calls; the baseline defaults to the tree's frame budget."""
    dry = seeds.dry
    budget = TINY["max_nodes"] * TINY["total_timesteps"]
    assert f"baseline_ppo/frames_{budget}/seed_1/eval.json" in dry
    jobs = dict(re.findall(r"^(\w+)\s+(\d+)$", dry.split("Job stats:")[1], re.M))
    jobs.pop("total")
    expected = {"train_seed": "2", "evaluate_seed": "2", "baseline": "2", "achievements": "1"}
    assert jobs == {**expected, "compare": "1", "all": "1"}, jobs  # nothing else reruns


def test_seeds_and_baseline_log_to_offline_wandb(seeds: Seeds) -> None:
    wandb_dir = seeds.wandb_dir
    runs = {p.name: p for p in (wandb_dir / "wandb").glob("offline-run-*")}
    logged = [next(p.glob("run-*.wandb")).read_bytes() for p in runs.values()]
    assert sum(b"episode_return" in data for data in logged) >= 2  # the baselines' training
    assert list(wandb_dir.glob("wandb/offline-run-*/files/media/table/achievements_*.json"))


def test_second_seed_trains_without_an_llm_call(wf: Workflow, killed: Killed, seeds: Seeds) -> None:
    tree = wf.tree
    for i in (0, 1):
        assert ledger(tree / f"skill_{i}" / "llm_calls.jsonl") == killed.calls[i]
        seed1 = json.loads((tree / f"skill_{i}" / "seeds" / "seed_1" / "eval.json").read_text())
        trained1 = json.loads((tree / f"skill_{i}" / "seeds" / "seed_1" / "train.json").read_text())
        assert trained1["status"] == "skipped" or seed1["seed"] == 1


def test_baseline_trains_at_its_budget_and_scores_fresh_episodes(
    wf: Workflow, seeds: Seeds
) -> None:
    base = wf.work / "results" / CLASSIC / "baseline_ppo" / "frames_4096"
    for s in (0, 1):
        assert json.loads((base / f"seed_{s}" / "train.json").read_text())["frames"] == 4096
        ach = json.loads((base / f"seed_{s}" / "eval.json").read_text())["achievements"]
        assert ach["episodes"] == TINY["evaluate"]["num_episodes"] and ach["horizon"] == 100
        assert 0.0 <= ach["crafter_score"] <= 100.0


def test_achievement_table_has_tree_and_baseline_rows_with_intervals(
    wf: Workflow, resumed: Resumed, seeds: Seeds
) -> None:
    tree = wf.tree
    with open(tree / "report" / "achievements.csv") as fh:
        table = list(csv.DictReader(fh))
    score = {r["kind"]: r for r in table if r["metric"] == "crafter_score"}
    assert score["baseline"]["seeds"] == "2" and score["baseline"]["ci_low"] != ""
    if resumed.library["skills"]:
        assert score["tree"]["seeds"] == "2" and score["tree"]["ci_high"] != ""
    md = (tree / "report" / "achievements.md").read_text()
    assert "baseline_ppo" in md and "crafter_score" in md
    assert (tree / "report" / "achievements.png").stat().st_size > 1000


# --- 3. forced LLM reruns -------------------------------------------------------------------
def test_forcing_the_llm_rules_again_is_free(wf: Workflow, killed: Killed, forced: None) -> None:
    """Every call of the forced reruns is a cache hit."""
    for i in (0, 1):
        new = ledger(wf.tree / f"skill_{i}" / "llm_calls.jsonl")[len(killed.calls[i]) :]
        assert new and all(r["cache_hit"] for r in new), new
        assert all(r["cost_usd"] == 0.0 for r in new)


# --- 4. a second tree started from the first ------------------------------------------------
def test_start_from_copies_slot_0_instead_of_running_it(started_from: str) -> None:
    dry = started_from
    assert "rule start_from:" in dry and "skill_0/prompt.json" not in dry


def test_second_tree_continues_from_the_first(
    wf: Workflow, resumed: Resumed, started_from: str
) -> None:
    tree = wf.tree
    tree_b = wf.work / "results" / CLASSIC / "gpt-5"
    record = json.loads((tree_b / "start_from.json").read_text())
    assert record["source"] == str(tree) and record["up_to"] == 1
    assert record["models"]["skill_0"] == ["gpt-4o-mini"]
    assert (tree_b / "skill_0" / "proposal.json").read_text() == (
        tree / "skill_0" / "proposal.json"
    ).read_text()
    assert {r["llm_name"] for r in ledger(tree_b / "skill_1" / "llm_calls.jsonl")} == {"gpt-5"}
    library = resumed.library
    lib_b = json.loads((tree_b / "skill_1" / "library.json").read_text())
    assert lib_b["skills"][:1] == library["skills"][:1] or not library["skills"]


# --- 5. reports: per tree and the comparison of both trees ----------------------------------
def test_tree_reports_and_the_comparison_of_both_trees(wf: Workflow, started_from: str) -> None:
    tree = wf.tree
    models = (wf.work / "results" / CLASSIC / "comparison" / "models.csv").read_text()
    assert "gpt-4o-mini" in models and "gpt-5" in models and "baseline_ppo (2 seeds)" in models
    assert models.startswith("model,tree,crafter_score,crafter_score_ci,deepest_achievement")
    skills = (tree / "report" / "skills.csv").read_text().splitlines()
    assert skills[0].startswith("slot,skill,accepted") and len(skills) == 3
    assert (tree / "report" / "curves.png").stat().st_size > 1000
    assert (wf.work / "results" / CLASSIC / "comparison" / "models.png").exists()


# --- 6. `snakemake --report` ----------------------------------------------------------------
def test_snakemake_report_holds_every_result_with_its_caption(report_archive: Path) -> None:
    with zipfile.ZipFile(report_archive) as zf:
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
