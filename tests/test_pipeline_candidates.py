"""End-to-end: K=2 reward-code candidates offline on Classic with tiny budgets (one slot),
and the trajectory analysis correcting a deliberately wrong gain from real rollouts of the
run's checkpoint. One Snakemake run serves both tests (module fixture)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from flowrl.llm.ledger import read_ledger
from flowrl.pipeline.stages import analyse
from flowrl.pipeline.stages.common import llm_settings
from flowrl.skills.library import Library
from flowrl.skills.spec import SkillSpec
from flowrl.skills.trajectory import apply_analysis

try:
    from tests.pipeline_helpers import CLASSIC, TINY, env_with_llm_api, run, snakemake_cmd
except ImportError:  # tests/ not imported as a package
    from pipeline_helpers import CLASSIC, TINY, env_with_llm_api, run, snakemake_cmd

pytestmark = pytest.mark.slow
K = 2  # two candidates show the whole mechanism; each more costs ~50 s of suite time


@pytest.fixture(scope="module")
def k_tree(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("candidates")
    config = {
        **TINY,
        "max_nodes": 1,
        "llm_name": "offline",
        "results_dir": "results",
        "candidates": K,
        "analyse": True,  # offline: the analysis is computed from the rollout evidence
    }
    run(snakemake_cmd(work, config), env_with_llm_api())
    return work / "results" / CLASSIC / "offline"


def test_candidates_probe_and_the_best_one_continues(k_tree: Path) -> None:
    slot = k_tree / "skill_0"
    doc = json.loads((slot / "candidates.json").read_text())
    assert doc["k"] == K and doc["probe_timesteps"] == int(TINY["total_timesteps"] * 0.25)
    folders = [slot / "candidates" / f"c{c}" for c in range(K)]
    sources = [(d / "skill.py").read_text() for d in folders]
    assert len(set(sources)) == K, "the offline candidates are different programs"
    for c, d in enumerate(folders):
        calls = [r["purpose"] for r in read_ledger(d / "llm_calls.jsonl")]
        assert calls == ["code"], calls  # each candidate's own LLM cost (plan and module: one call)
        probe = json.loads((d / "train.json").read_text())
        assert 0 < probe["frames"] <= doc["probe_timesteps"] + 1024  # the probe, not the budget
        assert json.loads((d / "eval.json").read_text())["status"] == "ok"
        assert (d / "train_metrics.csv").read_text().count("\n") > 1  # a probe curve
        assert doc["candidates"][c]["valid"] and doc["candidates"][c]["trained"]
    won = doc["winner"]
    records = doc["candidates"]
    best = max(r["eval_success_rate"] for r in records)
    assert records[won]["eval_success_rate"] == best and records[won]["winner"]
    ties = [r for r in records if r["eval_success_rate"] == best]
    assert records[won]["probe_frames"] == min(r["probe_frames"] for r in ties)
    assert (slot / "skill.py").read_text() == sources[won]  # the winner continues
    assert (slot / "validated" / "skill.py").read_text() == sources[won]
    train = json.loads((slot / "train.json").read_text())
    assert train["status"] in ("ok", "rejected") and train["frames"] > 0
    assert train["init"].endswith(f"candidates/c{won}/checkpoint")  # it continues its probe
    assert train["probe_frames"] == records[won]["probe_frames"]

    with open(k_tree / "report" / "skills.csv") as fh:
        row = next(csv.DictReader(fh))
    assert row["candidates"] == str(K) and row["candidate_winner"] == str(won)
    assert len(row["candidate_success"].split()) == K and "*" in row["candidate_success"]
    assert int(row["probe_frames_total"]) == doc["probe_frames_total"]
    assert (
        int(row["llm_calls"]) >= 1 + K
    )  # propose (skill and spec), and each candidate's code call
    assert "candidate_success" in (k_tree / "report" / "skills.md").read_text()

    analysis = json.loads((slot / "analysis.json").read_text())
    if train["status"] == "ok":  # the analyse stage ran on the winner's full training
        assert analysis["evidence"]["episodes"] > 0 and "reason" in analysis


def test_analysis_corrects_a_wrong_gain_from_a_rollout(k_tree: Path, tmp_path: Path) -> None:
    """A Collect Wood spec that claims stone: the rollout of the trained expert shows wood."""
    from flowrl.rl.skill_evidence import collect_evidence

    slot = k_tree / "skill_0"
    proposal = json.loads((slot / "proposal.json").read_text())
    assert proposal["name"] == "Collect Wood"
    wrong = {**proposal, "gain": {"stone": "lambda n: n"}}
    (tmp_path / "proposal.json").write_text(json.dumps(wrong))
    steps = analyse.skill_steps(slot / "plan.json", "Collect Wood")
    evidence = collect_evidence(slot / "checkpoint", steps, episodes=8, max_steps=300)
    assert evidence["steps_active"] > 0 and evidence["gained_at_completion"].get("wood"), evidence
    (tmp_path / "rollout.txt").write_text("(summary)")
    answer = analyse.ask_analysis(
        CLASSIC,
        tmp_path / "proposal.json",
        tmp_path / "rollout.txt",
        tmp_path / "analysis.json",
        ledger=tmp_path / "llm_calls.jsonl",
        llm_name="offline",
        settings=llm_settings(None, None),
        evidence=evidence,
    )
    assert answer["changed"] and answer["gain"] == {"wood": "lambda n: n"}, answer
    assert "gain stone never happened" in answer["reason"]

    library = Library.load(k_tree / "init" / "library.json")
    library.add_skill(SkillSpec.from_dict(wrong), (slot / "skill.py").read_text(), 0)
    fields = {k: answer[k] for k in ("requirements", "consumption", "gain", "reason")}
    spec = apply_analysis(library, "Collect Wood", fields, iteration=0)
    assert list(spec.gain) == ["wood"]
    history = library.get("Collect Wood").history
    assert history[-1]["spec"]["gain"] == {"stone": "lambda n: n"}  # the library keeps it
