"""The run summary and the drivers' exit codes: a one-slot run whose only slot is rejected
prints the summary with the first rejection's reason, and the driver exits non-zero."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flowrl.pipeline.run_summary import driver_exit_code, format_summary, summarize_run
from tests.helpers.pipeline_helpers import REPO, env_with_llm_api


def _slot(tree: Path, i: int, library: dict, ledger: list[dict]) -> None:
    slot = tree / f"skill_{i}"
    slot.mkdir(parents=True)
    (slot / "library.json").write_text(json.dumps(library))
    (slot / "validation.json").write_text(json.dumps({"ok": True, "repairs": 1}))
    (slot / "llm_calls.jsonl").write_text("".join(json.dumps(r) + "\n" for r in ledger))


def test_summary_counts_this_runs_slots(tmp_path):
    call = {"cost_usd": 0.01, "prompt_tokens": 10, "completion_tokens": 5, "attempts": 2}
    reject = {"name": "Drink", "iteration": 1, "reasons": ["below 0.8"], "stage": "train"}
    library = {"skills": [{"name": "Wood", "iteration": 0}], "rejected": [reject]}
    _slot(tmp_path, 0, {"skills": library["skills"], "rejected": []}, [call])
    _slot(tmp_path, 1, library, [call, {**call, "attempts": 1}])
    both = summarize_run(tmp_path, [0, 1])
    assert (both.accepted, len(both.rejected), both.retries, both.repairs) == (["Wood"], 1, 2, 2)
    text = format_summary(both)
    assert "1 accepted, 1 rejected (1 at train)" in text and "3 calls, $0.030000" in text
    assert driver_exit_code(True, both) == 0
    only_1 = summarize_run(tmp_path, [1])  # slot 0 came from an earlier run
    assert only_1.failed_all and "First rejection: slot 1 'Drink' at train: below 0.8" in (
        format_summary(only_1)
    )
    assert driver_exit_code(True, only_1) == 1 and driver_exit_code(False, both) == 1
    assert not summarize_run(tmp_path, [1, 2]).failed_all  # slot 2 never committed


@pytest.mark.slow
def test_one_slot_run_with_only_rejections_exits_non_zero(tmp_path):
    env = env_with_llm_api(FLOWRL_TEST_LLM_GARBAGE="1")
    env["PYTHONPATH"] = os.pathsep.join([env["PYTHONPATH"], str(REPO)])
    cmd = [sys.executable, "-m", "flowrl.bottomup", "--llm_name", "gpt-4o-mini"]
    cmd += ["--max_nodes", "1", "--tree", str(tmp_path / "tree"), "--cores", "1"]
    cmd += ["--configfile", str(REPO / "config/presets/quick.yaml")]
    cmd += ["--config", f"results_dir={tmp_path / 'results'}", "analyse=false"]
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out[-4000:]
    assert "0 accepted, 1 rejected (1 at propose)" in out, out[-4000:]
    assert "NO SKILL WAS ACCEPTED. First rejection: slot 0" in out
    assert "no usable proposal" in out and f"report: {tmp_path / 'tree' / 'report'}" in out
    assert "exit 1: the run finished but accepted no skill" in out
