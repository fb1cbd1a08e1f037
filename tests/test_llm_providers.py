"""The real ``openai`` client against the loopback server: usage, retries, fail-fast errors."""

from __future__ import annotations

import json
import sys
import time

import pytest

try:  # tests/ as a package or as a plain directory on sys.path
    from tests.llm_server import API_KEY, FakeOpenAI, ReasoningBiller, Reply, error, ok
except ImportError:  # pragma: no cover
    from llm_server import API_KEY, FakeOpenAI, ReasoningBiller, Reply, error, ok

from flowrl.llm import (
    AuthenticationFailedError,
    ConfigurationError,
    DeadlineExceededError,
    EndpointUnreachableError,
    LLMSettings,
    MissingAPIKeyError,
    ModelNotFoundError,
    RetriesExhaustedError,
    get_query,
    load_settings,
    preflight,
)
from flowrl.llm.ledger import read_ledger


@pytest.fixture
def server():
    with FakeOpenAI() as fake:
        yield fake


@pytest.fixture
def settings(tmp_path):
    return load_settings(
        search_defaults=False,
        timeout_s=0.5,
        cache_dir=str(tmp_path / "cache"),
        retry={"max_attempts": 3, "base_delay_s": 0.001, "max_delay_s": 0.005, "jitter": 0.5},
    )


@pytest.fixture
def env(monkeypatch, server):
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.delitem(sys.modules, "llm_api", raising=False)
    return server


def test_success_reports_usage_cost_and_ledger(env, settings, tmp_path):
    env.push(ok("hello", prompt_tokens=1000, completion_tokens=500, cached_tokens=200))
    ledger = tmp_path / "llm_calls.jsonl"
    q = get_query("gpt-4o-mini", settings=settings, ledger=ledger)
    c = q([{"role": "user", "content": "hi"}], 64, purpose="test")
    assert c.text == "hello"
    assert (c.usage.prompt_tokens, c.usage.cached_prompt_tokens, c.usage.completion_tokens) == (
        1000,
        200,
        500,
    )
    # gpt-4o-mini-2024-07-18 answered: snapshot priced as gpt-4o-mini (0.15 / 0.075 / 0.60)
    assert c.cost_usd == pytest.approx((800 * 0.15 + 200 * 0.075 + 500 * 0.60) / 1e6)
    assert c.attempts == 1 and not c.cache_hit
    [rec] = list(read_ledger(ledger))
    assert rec["purpose"] == "test" and rec["model"] == "gpt-4o-mini-2024-07-18"
    assert rec["prompt_tokens"] == 1000 and rec["cost_usd"] == pytest.approx(c.cost_usd)
    assert rec["cache_hit"] is False and rec["attempts"] == 1 and rec["error"] is None
    assert len(rec["prompt_hash"]) == 16 and rec["prompt_size_tokens_est"] == 1


def test_chat_model_gets_max_tokens_and_temperature(env, settings):
    get_query("gpt-4o-mini", settings=settings)("hi", 33)
    [body] = env.chat_requests()
    assert body["max_tokens"] == 33 and body["temperature"] == settings.temperature
    assert "max_completion_tokens" not in body


def test_gpt5_request_has_no_temperature(env, settings):
    env.push(ok("x", model="gpt-5-2025-08-07", reasoning_tokens=5))
    c = get_query("gpt-5", settings=settings)("hi", 100)
    [body] = env.chat_requests()
    assert "temperature" not in body and "max_tokens" not in body
    assert body["max_completion_tokens"] == 100
    assert c.usage.reasoning_tokens == 5
    assert c.cost_usd == pytest.approx((11 * 1.25 + 7 * 10.0) / 1e6)


def test_429_then_success(env, settings, tmp_path):
    env.push(error(429, "Rate limit reached", code="rate_limit_exceeded"), ok("fine"))
    ledger = tmp_path / "l.jsonl"
    c = get_query("gpt-4o-mini", settings=settings, ledger=ledger)("hi")
    assert c.text == "fine" and c.attempts == 2
    assert len(env.chat_requests()) == 2
    assert [r["attempts"] for r in read_ledger(ledger)] == [2]


def test_persistent_429_stops_after_configured_attempts(env, settings, tmp_path):
    env.default = lambda req: error(429, "Rate limit reached", code="rate_limit_exceeded")
    ledger = tmp_path / "l.jsonl"
    start = time.monotonic()
    with pytest.raises(RetriesExhaustedError) as info:
        get_query("gpt-4o-mini", settings=settings, ledger=ledger)("hi")
    assert time.monotonic() - start < 5
    assert info.value.attempts == 3 and "3 attempt" in str(info.value)
    assert len(env.chat_requests()) == 3
    [rec] = list(read_ledger(ledger))
    assert rec["attempts"] == 3 and "RetriesExhausted" in rec["error"] and rec["cost_usd"] is None


def test_5xx_is_retried(env, settings):
    env.push(error(503, "overloaded"), error(500, "boom"), ok("ok"))
    assert get_query("gpt-4o-mini", settings=settings)("hi").attempts == 3


def test_insufficient_quota_429_is_not_retried(env, settings):
    env.push(error(429, "You exceeded your current quota", code="insufficient_quota"))
    with pytest.raises(AuthenticationFailedError, match="quota"):
        get_query("gpt-4o-mini", settings=settings)("hi")
    assert len(env.chat_requests()) == 1


def test_unknown_model_fails_fast_naming_it(env, settings):
    with pytest.raises(ModelNotFoundError) as info:
        get_query("gpt-9-ultra", settings=settings)("hi")
    msg = str(info.value)
    assert "gpt-9-ultra" in msg and "models.list" in msg
    assert len(env.chat_requests()) == 1  # no retry


def test_rejected_key_fails_fast_naming_variable(env, settings, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "wrong")
    with pytest.raises(AuthenticationFailedError, match="OPENAI_API_KEY"):
        get_query("gpt-4o-mini", settings=settings)("hi")
    assert len(env.chat_requests()) == 1


def test_missing_key_detected_by_preflight(env, settings, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(MissingAPIKeyError, match="OPENAI_API_KEY"):
        preflight("gpt-5", settings=settings)
    assert env.requests == []


def test_online_preflight_checks_model_list(env, settings):
    preflight("gpt-4o-mini", settings=settings, online=True)
    with pytest.raises(ModelNotFoundError, match="gpt-4o-mini-typo") as info:
        preflight("gpt-4o-mini-typo", settings=settings, online=True)
    assert "Did you mean gpt-4o-mini" in str(info.value)
    with pytest.raises(ModelNotFoundError, match=r"Did you mean gpt-5[ ?]") as info:
        preflight("gpt-5-typo", settings=settings, online=True)
    assert env.chat_requests() == []


def test_timeout_is_retried_then_fails_with_count(env, settings):
    env.default = lambda req: Reply(200, ok("late").body, delay_s=1.5)
    start = time.monotonic()
    with pytest.raises(RetriesExhaustedError, match="timed out") as info:
        get_query("gpt-4o-mini", settings=settings)("hi")
    assert info.value.attempts == 3
    assert time.monotonic() - start < 4


def test_cache_hit_is_free_identical_and_marked(env, settings, tmp_path):
    env.push(ok("cached answer", prompt_tokens=50, completion_tokens=5))
    ledger = tmp_path / "l.jsonl"
    s = load_settings(search_defaults=False, cache_dir=str(tmp_path / "c"), retry=settings.retry)
    q = get_query("gpt-4o-mini", settings=s, ledger=ledger)
    first = q("same prompt", 10)
    second = get_query("gpt-4o-mini", settings=s, ledger=ledger)("same prompt", 10)
    assert second.text == first.text and second.cache_hit and second.cost_usd == 0.0
    assert len(env.chat_requests()) == 1
    third = q("same prompt", 11)  # other generation params -> other key
    assert not third.cache_hit
    recs = list(read_ledger(ledger))
    assert [r["cache_hit"] for r in recs] == [False, True, False]
    assert recs[1]["prompt_tokens"] == 0 and recs[1]["cost_usd"] == 0.0
    assert recs[1]["cached_usage"]["prompt_tokens"] == 50


def test_missing_usage_is_estimated(env, settings):
    env.push(ok("abcdefgh", with_usage=False))
    c = get_query("gpt-4o-mini", settings=settings)("x" * 40)
    assert c.usage.estimated and c.usage.prompt_tokens == 10 and c.usage.completion_tokens == 2


def test_unknown_model_price_is_unknown_not_guessed(env, settings, tmp_path):
    env.models.add("my-local-llama")
    env.push(ok("hi", model="my-local-llama"))
    ledger = tmp_path / "l.jsonl"
    c = get_query("my-local-llama", settings=settings, ledger=ledger)("hi")
    assert c.cost_usd is None
    assert json.loads(ledger.read_text())["cost_usd"] is None


# -- visible, bounded waiting -------------------------------------------------------------
def _quick(tmp_path, **over):
    base = {
        "search_defaults": False,
        "cache_enabled": False,
        "timeout_s": 0.4,
        "deadline_s": 1.2,
        "heartbeat_s": 0.15,
        "retry": {"max_attempts": 5, "base_delay_s": 0.05, "max_delay_s": 0.1, "jitter": 0.0},
    }
    return load_settings(**{**base, **over})


def test_hanging_server_ends_at_the_deadline_naming_settings_and_server(env, tmp_path, capsys):
    env.default = lambda req: Reply(200, ok("never in time").body, delay_s=5)
    ledger = tmp_path / "l.jsonl"
    start = time.monotonic()
    with pytest.raises(DeadlineExceededError) as info:
        get_query("gpt-5", settings=_quick(tmp_path), ledger=ledger)("hi")
    took = time.monotonic() - start
    assert 1.1 < took < 2.5, took
    msg = str(info.value)
    assert "llm.deadline_s=1.2" in msg and "llm.timeout_s=0.4" in msg and env.base_url in msg
    assert "max_attempts" not in msg  # more attempts would only make a hang longer
    err = capsys.readouterr().err
    assert "[llm] gpt-5 (query): still waiting for " + env.base_url in err  # heartbeat
    assert "attempt 1/5 failed: request for model 'gpt-5' timed out" in err
    assert "retrying in 0.1 s" in err or "retrying in 0.0 s" in err
    [rec] = list(read_ledger(ledger))
    assert rec["error"].startswith("DeadlineExceededError") and rec["attempts"] >= 2


def test_slow_but_real_reasoning_answer_succeeds_with_heartbeat(env, tmp_path, capsys):
    env.default = lambda req: Reply(
        200, ok("thought hard", model="gpt-5", reasoning_tokens=900).body, delay_s=0.5
    )
    s = _quick(tmp_path, timeout_s=1.0, deadline_s=1.5)
    c = get_query("gpt-5", settings=s)("hi")
    assert c.text == "thought hard" and c.attempts == 1
    err = capsys.readouterr().err
    assert err.count("still waiting for") >= 2 and "failed" not in err


def test_429_storm_prints_every_retry_and_stops_at_max_attempts(env, tmp_path, capsys):
    env.default = lambda req: Reply(
        429,
        error(429, "Rate limit reached", code="rate_limit_exceeded").body,
        headers={"Retry-After": "60"},  # honoured only up to max_delay_s
    )
    s = _quick(
        tmp_path,
        deadline_s=10.0,
        retry={"max_attempts": 4, "base_delay_s": 0.01, "max_delay_s": 0.05},
    )
    start = time.monotonic()
    with pytest.raises(RetriesExhaustedError) as info:
        get_query("gpt-4o-mini", settings=s)("hi")
    assert time.monotonic() - start < 2
    assert info.value.attempts == 4 and len(env.chat_requests()) == 4
    lines = [ln for ln in capsys.readouterr().err.splitlines() if "failed:" in ln]
    assert [ln.split(": attempt ")[1][:3] for ln in lines] == ["1/4", "2/4", "3/4"]
    assert all("429" in ln and "Rate limit reached" in ln and "retrying in" in ln for ln in lines)
    assert "max_attempts in the config" not in str(info.value)


def test_default_settings_end_a_hang_in_under_five_minutes():
    s = LLMSettings()
    assert s.deadline_s < 300 and s.timeout_s < s.deadline_s
    assert s.timeout_s >= 180  # a slow reasoning answer still fits in one attempt
    with pytest.raises(ConfigurationError, match="deadline_s"):
        LLMSettings(deadline_s=0)


# -- reasoning effort and prompt caching against a server that bills like a reasoning model --
def _billing(env, tmp_path, effort):
    env.default = ReasoningBiller(lambda req: "answer text")
    s = load_settings(
        search_defaults=False, cache_enabled=False, reasoning_effort=effort, retry={"jitter": 0}
    )
    return s


def test_reasoning_effort_goes_only_to_models_that_accept_it(env, tmp_path):
    s = _billing(env, tmp_path, "low")
    assert s.reasoning_effort == "low" and LLMSettings().reasoning_effort == "low"
    for model in ("gpt-5", "o3", "gpt-4o", "gpt-4o-mini"):
        get_query(model, settings=s)("[flowrl step=code env=x] hi")
    sent = {b["model"]: b.get("reasoning_effort") for b in env.chat_requests()}
    assert sent == {"gpt-5": "low", "o3": "low", "gpt-4o": None, "gpt-4o-mini": None}
    with pytest.raises(ConfigurationError, match="reasoning_effort 'hihg'"):
        load_settings(search_defaults=False, reasoning_effort="hihg")


def test_billing_server_reasoning_depends_on_step_and_effort_and_caches_prefixes(env, tmp_path):
    ledger = tmp_path / "l.jsonl"
    shared = "x" * 4 * 1500  # a 1.5k-token prefix, the same in both prompts
    used = {}
    for effort in ("minimal", "low", "medium", "high"):
        q = get_query("gpt-5", settings=_billing(env, tmp_path, effort), ledger=ledger)
        used[effort] = q(f"[flowrl step=code env=x]{shared} {effort}").usage.reasoning_tokens
    assert used["minimal"] < used["low"] < used["medium"] < used["high"]
    q = get_query("gpt-5", settings=_billing(env, tmp_path, None), ledger=ledger)
    first = q([{"role": "system", "content": shared}, {"role": "user", "content": "a"}])
    second = q([{"role": "system", "content": shared}, {"role": "user", "content": "b"}])
    assert first.usage.cached_prompt_tokens == 0
    assert second.usage.cached_prompt_tokens == 1408  # 1.5k shared, in 128-token blocks
    assert first.usage.reasoning_tokens == 1000  # no step tag, default (medium) effort
    uncached = second.usage.prompt_tokens - 1408
    expected = (uncached * 1.25 + 1408 * 0.125 + second.usage.completion_tokens * 10.0) / 1e6
    assert second.cost_usd == pytest.approx(expected)  # cached tokens at gpt-5's cached rate
    assert list(read_ledger(ledger))[-1]["cached_prompt_tokens"] == 1408


def test_billing_server_bills_a_merged_step_its_tasks_and_binds_the_budget(env, tmp_path):
    """The simulation credits no reasoning saving to merged calls, and honours the completion
    budget as the API does (reasoning first; an answer that does not fit is cut, billed)."""
    from flowrl.llm.types import BilledResponseError

    q = get_query("gpt-5", settings=_billing(env, tmp_path, "medium"))
    merged = q("[flowrl step=reward_code env=x] hi").usage.reasoning_tokens
    parts = [q(f"[flowrl step={t} env=x] hi").usage.reasoning_tokens for t in ("reward", "code")]
    assert merged == sum(parts) == 4500
    assert q("[flowrl step=code env=x] hi", 3000).text == "answer text"
    with pytest.raises(BilledResponseError, match="length") as info:
        q("[flowrl step=code env=x] hi", 2000)  # 2.5k reasoning does not fit
    assert info.value.usage.completion_tokens == 2000 == info.value.usage.reasoning_tokens
    cut = q("[flowrl step=code env=x] hi", 2502)  # reasoning fits, the text only in part
    assert cut.text == "answer t" and cut.usage.completion_tokens == 2502
    assert env.billed[-1]["usage"]["completion_tokens"] == 2502


def test_preflight_stops_on_a_closed_port(settings, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
    monkeypatch.delitem(sys.modules, "llm_api", raising=False)
    with pytest.raises(EndpointUnreachableError, match="OPENAI_BASE_URL") as info:
        preflight("gpt-5", settings=settings, online=True)
    assert "Connection refused" in str(info.value) and ".." not in str(info.value)


def test_close_matches_rank_the_name_it_extends_first(env, settings):
    env.models |= {"gpt-5-nano", "gpt-5-mini"}
    with pytest.raises(ModelNotFoundError, match=r"Did you mean gpt-5 or gpt-5-"):
        preflight("gpt-5-typo", settings=settings, online=True)
