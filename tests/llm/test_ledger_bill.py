"""The ledger is the bill: every response the loopback server billed, including unusable
ones (length-stopped, content filtered, unparseable), is in ``llm_calls.jsonl`` with its
tokens and dollars, so ledger totals equal the server's totals."""

from __future__ import annotations

import sys

import pytest

from flowrl.llm import LLMError, get_query, load_settings
from flowrl.llm.ledger import load_price_table, read_ledger, summarize
from flowrl.llm.parsing import ask, json_parser
from flowrl.llm.settings import pricing_file
from flowrl.llm.types import Usage
from tests.helpers.llm_server import API_KEY, FakeOpenAI, error, ok

TOKENS = ("prompt_tokens", "cached_prompt_tokens", "completion_tokens", "reasoning_tokens")


def billed(text: str, finish: str = "stop", **tokens: int):
    return ok(text, model="gpt-5-2025-08-07", finish_reason=finish, **tokens)


@pytest.fixture
def setup(monkeypatch, tmp_path):
    settings = load_settings(
        search_defaults=False,
        timeout_s=2.0,
        cache_enabled=False,
        retry={"max_attempts": 3, "base_delay_s": 0.001, "max_delay_s": 0.005, "jitter": 0.5},
    )
    with FakeOpenAI() as server:
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.delitem(sys.modules, "llm_api", raising=False)
        ledger = tmp_path / "llm_calls.jsonl"
        yield server, get_query("gpt-5", settings=settings, ledger=ledger), ledger, settings


def server_dollars(server: FakeOpenAI, settings) -> float:
    prices = load_price_table(pricing_file(settings))
    total = 0.0
    for entry in server.billed:
        u = entry["usage"]
        usage = Usage(
            prompt_tokens=u["prompt_tokens"],
            completion_tokens=u["completion_tokens"],
            cached_prompt_tokens=u["prompt_tokens_details"]["cached_tokens"],
            reasoning_tokens=u["completion_tokens_details"]["reasoning_tokens"],
        )
        total += prices.cost(entry["model"], usage)
    return total


def test_every_billed_failure_mode_is_in_the_ledger(setup):
    server, query, ledger, settings = setup
    hi = [{"role": "user", "content": "hi"}]
    # 1. the budget ran out in reasoning: no text, 2,053 + 600 tokens billed
    server.push(
        billed("", "length", prompt_tokens=2053, completion_tokens=600, reasoning_tokens=600)
    )
    with pytest.raises(LLMError, match=r"finish_reason='length'.*reasoning_max_gen"):
        query(hi, purpose="length")
    # 2. content filtered after a 429 (not billed): no text, still billed
    server.push(
        error(429, "Rate limit reached"),
        billed("", "content_filter", prompt_tokens=1500, cached_tokens=1024, completion_tokens=90),
    )
    with pytest.raises(LLMError, match="content filter"):
        query(hi, purpose="filtered")
    # 3. an unparseable structured answer, re-asked once (both answers billed)
    server.push(
        billed("no json here", prompt_tokens=900, completion_tokens=300, reasoning_tokens=250),
        billed('```json\n{"a": 1}\n```', prompt_tokens=950, completion_tokens=310),
    )
    parse = json_parser({"type": "object", "required": ["a"]})
    answer = ask(query, hi, parse, purpose="json", max_reasks=1, ledger=ledger)
    assert answer.value == {"a": 1}
    # 4. a 500 (not billed), then a plain answer
    server.push(error(500, "boom"), billed("fine", prompt_tokens=400, completion_tokens=40))
    assert query(hi, purpose="plain").text == "fine"

    records = list(read_ledger(ledger))
    total = summarize(records)
    assert {k: total[k] for k in TOKENS} == server.bill()
    assert total["cost_usd"] == pytest.approx(server_dollars(server, settings))
    by_purpose = {r["purpose"]: r for r in records}
    length = by_purpose["length"]
    assert "finish_reason='length'" in length["error"]
    assert (length["prompt_tokens"], length["completion_tokens"]) == (2053, 600)
    assert length["cost_usd"] == pytest.approx((2053 * 1.25 + 600 * 10) / 1e6)
    assert by_purpose["filtered"]["attempts"] == 2 and by_purpose["filtered"]["error"]
    assert by_purpose["json:reask1"]["error"] is None
