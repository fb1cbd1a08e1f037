"""Custom ``llm_api`` modules, ``flowrl llm ping``, pricing, ledger, retry policy, settings."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

try:  # tests/ as a package or as a plain directory on sys.path
    from tests.llm_server import API_KEY, FakeOpenAI, ok
except ImportError:  # pragma: no cover
    from llm_server import API_KEY, FakeOpenAI, ok

from flowrl.cli import main
from flowrl.llm import (
    ConfigurationError,
    RetriesExhaustedError,
    RetryableError,
    RetrySettings,
    get_query,
    load_settings,
)
from flowrl.llm.ledger import load_price_table, parse_price_table, read_ledger, summarize
from flowrl.llm.providers import coerce_usage
from flowrl.llm.query import backoff_delay, call_with_retry
from flowrl.llm.types import Usage

REPO = Path(__file__).resolve().parents[1]
PRICING = REPO / "flowrl" / "resources" / "pricing.yaml"


# -- custom llm_api -----------------------------------------------------------------------
@pytest.fixture
def llm_api_dir(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "llm_api", raising=False)
    yield tmp_path
    sys.modules.pop("llm_api", None)


def test_llm_api_module_takes_precedence_over_openai(llm_api_dir, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-should-not-be-used")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    (llm_api_dir / "llm_api.py").write_text(
        textwrap.dedent(
            """
            SEEN = []
            def get_query(model_name):
                def query(messages, max_gen):
                    SEEN.append((model_name, messages, max_gen))
                    return "custom:" + messages[-1]["content"], {"prompt_tokens": 3,
                        "completion_tokens": 4, "prompt_tokens_details": {"cached_tokens": 1}}
                return query
            """
        )
    )
    ledger = tmp_path / "l.jsonl"
    q = get_query(
        "gpt-4o", settings=load_settings(search_defaults=False, cache_enabled=False), ledger=ledger
    )
    c = q([{"role": "user", "content": "hi"}], 50)
    import llm_api

    assert c.text == "custom:hi" and llm_api.SEEN[0][0] == "gpt-4o" and llm_api.SEEN[0][2] == 50
    assert (c.usage.prompt_tokens, c.usage.completion_tokens, c.usage.cached_prompt_tokens) == (
        3,
        4,
        1,
    )
    assert c.cost_usd == pytest.approx((2 * 2.5 + 1 * 1.25 + 4 * 10.0) / 1e6)  # priced by name
    assert json.loads(ledger.read_text())["provider"] == "llm_api"


def test_llm_api_prompt_style_returning_text(llm_api_dir):
    (llm_api_dir / "llm_api.py").write_text(
        "def get_query(model_name):\n"
        "    def query(prompt, max_gen):\n"
        "        assert isinstance(prompt, str)\n"
        "        return 'got ' + prompt\n"
        "    return query\n"
    )
    q = get_query("my-model", settings=load_settings(search_defaults=False, cache_enabled=False))
    c = q([{"role": "system", "content": "sys"}, {"role": "user", "content": "abcd"}])
    assert c.text == "got sys\n\nabcd"
    assert c.usage.estimated and c.cost_usd is None  # unknown model: cost unknown


def test_broken_llm_api_is_reported_not_skipped(llm_api_dir):
    (llm_api_dir / "llm_api.py").write_text("import does_not_exist_xyz\n")
    with pytest.raises(ConfigurationError, match="llm_api"):
        get_query("gpt-5", settings=load_settings(search_defaults=False))


def test_coerce_usage_shapes():
    assert coerce_usage({"input_tokens": 5, "output_tokens": 6}, [], "").completion_tokens == 6
    assert coerce_usage(None, [{"role": "user", "content": "x" * 8}], "abcd") == Usage(
        2, 1, 0, 0, True
    )


# -- ping -----------------------------------------------------------------------------------
def test_ping_offline_without_network(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI")}
    env["HTTPS_PROXY"] = env["HTTP_PROXY"] = "http://127.0.0.1:9"  # any network use would fail
    proc = subprocess.run(
        [sys.executable, "-m", "flowrl.cli", "llm", "ping", "--llm_name", "offline"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "pong" in proc.stdout and "cost: $0.000000" in proc.stdout
    assert "tokens: prompt=" in proc.stdout


def test_ping_against_server_prints_tokens_and_dollars(monkeypatch, capsys, tmp_path):
    monkeypatch.delitem(sys.modules, "llm_api", raising=False)
    monkeypatch.setenv("FLOWRL_LLM_CONFIG", str(_fast_config(tmp_path)))
    with FakeOpenAI() as server:
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        server.push(
            ok("pong", model="gpt-4o-mini-2024-07-18", prompt_tokens=2000, completion_tokens=1000)
        )
        ledger = tmp_path / "ping.jsonl"
        rc = main(
            ["llm", "ping", "--llm_name", "gpt-4o-mini", "--ledger", str(ledger), "--no_cache"]
        )
        out = capsys.readouterr().out
        assert rc == 0
        assert "reply: pong" in out and "prompt=2000" in out and "completion=1000" in out
        # 2000 * 0.15/1M + 1000 * 0.60/1M from flowrl/resources/pricing.yaml
        assert "cost: $0.000900" in out
        rc = main(["llm", "ping", "--llm-name", "gpt-nope", "--no-cache"])
        err = capsys.readouterr().err
        assert rc == 1 and "gpt-nope" in err and "models" in err
    rc = main(["llm", "usage", str(ledger)])
    assert rc == 0 and "$0.000900" in capsys.readouterr().out


def test_ping_missing_key(monkeypatch, capsys):
    monkeypatch.delitem(sys.modules, "llm_api", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert main(["llm", "ping", "--llm_name", "gpt-5"]) == 1
    assert "OPENAI_API_KEY" in capsys.readouterr().err


def _fast_config(tmp_path: Path) -> Path:
    path = tmp_path / "llm.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "llm": {
                    "cache_dir": str(tmp_path / "cache"),
                    "retry": {"max_attempts": 2, "base_delay_s": 0.001},
                }
            }
        )
    )
    return path


# -- pricing --------------------------------------------------------------------------------
def test_price_table_lists_required_models_with_provenance():
    table = load_price_table(PRICING)
    assert table.date and table.source
    for model in (
        "gpt-5",
        "gpt-5-mini",
        "gpt-5-nano",
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4-turbo",
        "o1",
        "o3",
        "o3-mini",
        "o1-mini",
    ):
        assert table.lookup(model) is not None, model


def test_snapshots_map_to_base_price_and_unknown_is_none():
    table = load_price_table(PRICING)
    assert table.lookup("gpt-4o-mini-2024-07-18") == table.lookup("gpt-4o-mini")
    assert table.lookup("gpt-5-2025-08-07") == table.lookup("gpt-5")
    assert table.lookup("gpt-4o-2024-05-13") != table.lookup("gpt-4o")  # listed separately
    assert table.cost("llama-3-70b", Usage(10, 10)) is None
    assert table.cost("gpt-5", Usage(1_000_000, 1_000_000, 500_000)) == pytest.approx(
        0.5 * 1.25 + 0.5 * 0.125 + 10.0
    )


def test_price_table_requires_date_and_source():
    with pytest.raises(ConfigurationError, match="date"):
        parse_price_table({"source": "x", "models": {}})
    with pytest.raises(ConfigurationError, match="non-negative"):
        parse_price_table({"date": "d", "source": "s", "models": {"m": {"input": -1, "output": 1}}})
    assert load_price_table("/nonexistent/pricing.yaml").cost("gpt-5", Usage(1, 1)) is None


# -- ledger ---------------------------------------------------------------------------------
WRITER = (
    "import sys\n"
    "from flowrl.llm.ledger import append_record\n"
    "path, worker = sys.argv[1], int(sys.argv[2])\n"
    "for i in range(40):\n"
    "    append_record(path, {'worker': worker, 'i': i, 'pad': 'x' * 5000})\n"
)


def test_ledger_appends_whole_lines_from_concurrent_processes(tmp_path):
    path = str(tmp_path / "sub" / "llm_calls.jsonl")
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, path, str(w)], cwd=REPO) for w in range(4)
    ]
    assert all(p.wait(timeout=120) == 0 for p in procs)
    records = list(read_ledger(path))
    assert len(records) == 160
    assert {(r["worker"], r["i"]) for r in records} == {(w, i) for w in range(4) for i in range(40)}


def test_summarize_unknown_cost_propagates():
    recs = [{"prompt_tokens": 5, "cost_usd": 0.1}, {"prompt_tokens": 1, "cost_usd": None}]
    assert summarize(recs)["cost_usd"] is None and summarize(recs)["prompt_tokens"] == 6
    assert summarize(recs[:1])["cost_usd"] == pytest.approx(0.1)


# -- retry policy ---------------------------------------------------------------------------
def test_backoff_is_exponential_bounded_and_jittered():
    policy = RetrySettings(max_attempts=10, base_delay_s=1.0, max_delay_s=8.0, jitter=0.5)
    rng = random.Random(0)
    for attempt in range(1, 10):
        cap = min(8.0, 2 ** (attempt - 1))
        d = backoff_delay(attempt, policy, rng)
        assert cap * 0.5 <= d <= cap
    assert backoff_delay(1, policy, rng, retry_after=100.0) == 8.0  # Retry-After capped


def test_call_with_retry_bounds_attempts_and_passes_other_errors():
    sleeps: list[float] = []
    calls = []

    def flaky():
        calls.append(1)
        raise RetryableError("429")

    policy = RetrySettings(max_attempts=4, base_delay_s=0.5, max_delay_s=1.0, jitter=0.0)
    with pytest.raises(RetriesExhaustedError) as info:
        call_with_retry(flaky, policy, sleep=sleeps.append)
    assert info.value.attempts == 4 and len(calls) == 4 and sleeps == [0.5, 1.0, 1.0]

    def broken():
        raise KeyError("not transient")

    with pytest.raises(KeyError):
        call_with_retry(broken, policy, sleep=sleeps.append)


# -- settings -------------------------------------------------------------------------------
def test_settings_reject_unknown_keys_and_bad_values(tmp_path):
    with pytest.raises(ConfigurationError, match="retires"):
        load_settings({"retires": 3}, search_defaults=False)
    with pytest.raises(ConfigurationError, match="max_attempts"):
        load_settings({"retry": {"max_attempts": 0}}, search_defaults=False)
    # each bad value is named by its own key, with the value and where it was set
    for key, bad, says in (
        ("deadline_s", -1, "llm.deadline_s must be a positive number of seconds, not -1"),
        ("heartbeat_s", "x", "llm.heartbeat_s must be a positive number of seconds, not 'x'"),
        ("max_gen", 0, "llm.max_gen must be an integer >= 1, not 0"),
        ("max_repairs", 1.5, "llm.max_repairs must be an integer >= 0, not 1.5"),
        ("temperature", 3, "llm.temperature must be a number from 0 to 2, not 3"),
    ):
        with pytest.raises(ConfigurationError) as info:
            load_settings({key: bad}, search_defaults=False)
        assert str(info.value) == f"{says} (set in the given mapping)"
    path = tmp_path / "c.yaml"
    path.write_text("llm:\n  max_reasks: 1\n  retry: {max_attempts: 7}\n")
    s = load_settings(path, search_defaults=False)
    assert s.max_reasks == 1 and s.retry.max_attempts == 7 and s.retry.base_delay_s == 1.0


def test_settings_precedence_is_one_order_and_ignores_the_working_directory(tmp_path, monkeypatch):
    from flowrl.llm.settings import pricing_file
    from flowrl.pipeline.stages.common import llm_settings

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "config.yaml").write_text("llm: {max_reasks: 9}\n")
    monkeypatch.chdir(tmp_path)  # a config/ here is not read
    monkeypatch.delenv("FLOWRL_LLM_CONFIG", raising=False)
    assert load_settings().max_reasks != 9
    # the workflow's llm: section (as Snakemake passes it) < $FLOWRL_LLM_CONFIG < code
    env_file = tmp_path / "env.yaml"
    env_file.write_text("max_repairs: 5\n")
    monkeypatch.setenv("FLOWRL_LLM_CONFIG", str(env_file))
    s = llm_settings({"max_reasks": 1, "max_repairs": 0}, str(tmp_path / "cache"))
    assert (s.max_reasks, s.max_repairs, s.cache_dir) == (1, 5, str(tmp_path / "cache"))
    assert load_settings(workflow={"max_repairs": 0}, max_repairs=3).max_repairs == 3
    # the price table ships inside the package (works outside the repository)
    table = pricing_file(load_settings(search_defaults=False))
    assert table.is_file() and table.parent.name == "resources"
