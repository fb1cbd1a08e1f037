"""The line each LLM stage prints: repairs used, skipped vs rejected, tree cost so far."""

from __future__ import annotations

import json
from pathlib import Path

from flowrl.pipeline.stage_lines import code_line, proposal_line, tree_cost, validation_line
from flowrl.pipeline.status import rejected, skipped


def _ledger(slot: Path, *costs: float | None) -> Path:
    slot.mkdir(parents=True)
    path = slot / "llm_calls.jsonl"
    path.write_text("".join(json.dumps({"cost_usd": c, "error": None}) + "\n" for c in costs))
    return path


def test_stage_lines_say_repairs_skips_rejections_and_tree_cost(tmp_path: Path) -> None:
    _ledger(tmp_path / "skill_0", 0.01, 0.02)
    ledger = _ledger(tmp_path / "skill_1", 0.005)
    cost = "; LLM so far for this tree: 3 calls, $0.035000"
    ok = {"ok": True, "reasons": [], "repairs": 1}
    assert validation_line(ok, ledger) == "validation: ok after 1 repair" + cost
    assert validation_line({**ok, "repairs": 0}, None) == "validation: ok, no repair needed"
    bad = {"ok": False, "reasons": ["line 2: no imports"], "repairs": 2}
    assert validation_line(bad, None) == "validation: rejected after 2 repairs: line 2: no imports"
    upstream = rejected("propose", "no usable proposal: bad JSON")
    skip = {"ok": False, "reasons": [upstream["reason"]], **skipped("validate", upstream)}
    assert validation_line(skip, None) == (
        "validation: skipped (the slot was rejected earlier, at propose: "
        "no usable proposal: bad JSON)"
    )
    assert proposal_line(upstream, None) == (
        "proposal: rejected at propose: no usable proposal: bad JSON"
    )
    assert proposal_line({"name": "Collect Wood"}, ledger) == "proposal: Collect Wood" + cost
    assert code_line({"status": "ok"}, None) == "code: written"
    _ledger(tmp_path / "skill_2", None)  # a model without a price makes the total unknown
    assert validation_line(ok, ledger).endswith("4 calls, unknown")


def test_tree_cost_counts_candidate_ledgers_and_a_lone_ledger(tmp_path: Path) -> None:
    record = json.dumps({"purpose": "code", "cost_usd": 0.5, "prompt_tokens": 1})
    for ledger in ("skill_0/llm_calls.jsonl", "skill_0/candidates/c1/llm_calls.jsonl"):
        (tmp_path / ledger).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / ledger).write_text(record + "\n")
    line = tree_cost(tmp_path / "skill_0" / "candidates" / "c1" / "llm_calls.jsonl")
    assert "2 calls" in line and "1.00" in line
    (tmp_path / "lone.jsonl").write_text(record + "\n")
    assert "1 calls" in tree_cost(tmp_path / "lone.jsonl")
