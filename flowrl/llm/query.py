"""``Query``: a provider plus retry, cache, pricing and the ledger, callable as
``query(messages, max_gen) -> Completion``.

Retry: bounded, exponential backoff with jitter; only :class:`RetryableError` is retried.
Cache: an on-disk response cache keyed by (provider identity, model, messages, generation
params); entries are JSON files written to a temporary file in the same directory and moved
into place with ``os.replace``, so concurrent readers see either nothing or a whole entry.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from flowrl.atomic_io import write_text_atomic
from flowrl.clock import utc_now
from flowrl.llm.console import announce as console_announce
from flowrl.llm.ledger import PriceTable, append_record, canonical_json, prompt_hash
from flowrl.llm.settings import LLMSettings, RetrySettings
from flowrl.llm.types import (
    BilledResponseError,
    Completion,
    DeadlineExceededError,
    LLMError,
    Message,
    Provider,
    RawCompletion,
    RetriesExhaustedError,
    RetryableError,
    Usage,
    estimate_messages_tokens,
)

# -- retry --------------------------------------------------------------------------------
T = TypeVar("T")


def backoff_delay(
    attempt: int, policy: RetrySettings, rng: random.Random, retry_after: float | None = None
) -> float:
    """Seconds to wait after failed attempt ``attempt`` (1-based).

    A server's ``Retry-After`` is honoured when it is longer, but never beyond ``max_delay_s``.
    """
    delay = min(policy.max_delay_s, policy.base_delay_s * (2 ** (attempt - 1)))
    delay *= 1.0 - policy.jitter * rng.random()
    if retry_after is not None and retry_after > delay:
        delay = min(retry_after, policy.max_delay_s)
    return max(0.0, delay)


def call_with_retry(
    fn: Callable[[], T],
    policy: RetrySettings,
    *,
    sleep: Callable[[float], None] = time.sleep,
    rng: random.Random | None = None,
    on_retry: Callable[[int, RetryableError, float], None] | None = None,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[T, int]:
    """Run ``fn`` up to ``policy.max_attempts`` times; return (result, attempts used).

    Any non-retryable exception propagates at once. When every attempt failed
    transiently, raises :class:`RetriesExhaustedError` carrying the attempt count.
    ``deadline`` (a ``clock()`` value) ends the retrying early: a wait that would pass it
    raises :class:`DeadlineExceededError` instead of sleeping. ``on_retry(attempt, error,
    wait_s)`` is told of every retry before its wait.
    """
    rng = rng or random.Random()
    for attempt in range(1, policy.max_attempts + 1):
        try:
            return fn(), attempt
        except RetryableError as exc:
            if attempt == policy.max_attempts:
                raise RetriesExhaustedError(attempt, exc) from exc
            delay = backoff_delay(attempt, policy, rng, exc.retry_after)
            if deadline is not None and clock() + delay >= deadline:
                raise DeadlineExceededError(
                    f"no answer before the call's deadline after {attempt} attempt(s); "
                    f"last error: {exc}",
                    attempt,
                ) from exc
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


# -- progress lines -----------------------------------------------------------------------
def print_line(line: str) -> None:
    """Default reporter: one line on stderr (a stage's log, or the console)."""
    print(line, file=sys.stderr, flush=True)


class Heartbeat:
    """While open, calls ``report(elapsed_s)`` every ``every_s`` seconds from a daemon thread."""

    def __init__(self, every_s: float, report: Callable[[float], None]) -> None:
        self.every_s = every_s
        self.report = report
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        start = time.monotonic()
        while not self._stop.wait(self.every_s):
            self.report(time.monotonic() - start)

    def __enter__(self) -> Heartbeat:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


# -- response cache -----------------------------------------------------------------------
def cache_key(identity: str, model: str, messages: list[Message], params: dict[str, Any]) -> str:
    """sha256 over everything that can change the answer."""
    payload = {"identity": identity, "model": model, "messages": messages, "params": params}
    return hashlib.sha256(canonical_json(payload).encode()).hexdigest()


class ResponseCache:
    """Directory of cached completions, one file per key (sharded by the first 2 hex digits)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        """The stored entry for ``key`` (text, usage, model) or None; corrupt entries miss."""
        path = self._path(key)
        try:
            entry = json.loads(path.read_text())
        except (FileNotFoundError, json.JSONDecodeError, UnicodeDecodeError):
            return None
        if not isinstance(entry, dict) or not isinstance(entry.get("text"), str):
            return None
        return entry

    def put(self, key: str, text: str, usage: Usage, model: str) -> None:
        """Store an answer atomically."""
        path = self._path(key)
        entry = {
            "text": text,
            "usage": usage.to_dict(),
            "model": model,
            "created": utc_now("milliseconds"),
        }
        write_text_atomic(path, json.dumps(entry, ensure_ascii=False))


# -- query --------------------------------------------------------------------------------
PathLike = str | os.PathLike[str]


def as_messages(prompt: str | list[Message]) -> list[Message]:
    """Accept a bare prompt string or a message list; validate roles and contents."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    messages: list[Message] = []
    for m in prompt:
        if not isinstance(m, dict) or m.get("role") not in ("system", "user", "assistant"):
            raise LLMError(f"bad message {m!r}: need {{'role': system|user|assistant, 'content'}}")
        messages.append({"role": m["role"], "content": str(m.get("content") or "")})
    if not messages:
        raise LLMError("no messages to send")
    return messages


class Query:
    """Callable front of one model. Thread-compatible; one instance per model and run."""

    def __init__(
        self,
        llm_name: str,
        provider: Provider,
        settings: LLMSettings,
        prices: PriceTable,
        *,
        ledger: PathLike | None = None,
        cache: ResponseCache | None = None,
        purpose: str = "query",
        report: Callable[[str], None] = print_line,
        announce: Callable[[str], None] = console_announce,
    ) -> None:
        self.llm_name = llm_name
        self.report = report
        """Where heartbeats go (the stage's log)."""
        self.announce = announce
        """Where retries and giving up go (the log and the run's console)."""
        self.provider = provider
        self.settings = settings
        self.prices = prices
        self.ledger = ledger
        self.cache = cache if provider.cacheable else None
        self.purpose = purpose

    @property
    def model(self) -> str:
        return self.provider.model

    def preflight(self, online: bool = False) -> None:
        self.provider.preflight(online)

    def __call__(
        self,
        messages: str | list[Message],
        max_gen: int | None = None,
        *,
        purpose: str | None = None,
        ledger: PathLike | None = None,
    ) -> Completion:
        msgs = as_messages(messages)
        params = self.provider.generation_params(max_gen)
        record: dict[str, Any] = {
            "ts": utc_now("milliseconds"),
            "llm_name": self.llm_name,
            "model": self.provider.model,
            "provider": self.provider.kind,
            "purpose": purpose or self.purpose,
            "prompt_hash": prompt_hash(msgs),
            "prompt_size_tokens_est": estimate_messages_tokens(msgs),
        }
        ledger_path = ledger if ledger is not None else self.ledger
        key = None
        if self.cache is not None:
            key = cache_key(self.provider.identity, self.provider.model, msgs, params)
            hit = self.cache.get(key)
            if hit is not None:
                completion = Completion(
                    text=hit["text"],
                    usage=Usage.from_dict(hit.get("usage")),
                    model=hit.get("model") or self.provider.model,
                    cost_usd=0.0,
                    latency_s=0.0,
                    attempts=0,
                    cache_hit=True,
                )
                self._log(ledger_path, record, completion, None)
                return completion
        start = time.monotonic()
        try:
            raw, attempts = self._attempts(msgs, params, start, record["purpose"])
        except LLMError as exc:
            self._log(ledger_path, record, self._failed(exc, start), f"{type(exc).__name__}: {exc}")
            raise
        completion = Completion(
            text=raw.text,
            usage=raw.usage,
            model=raw.model,
            cost_usd=self.prices.cost(raw.model, raw.usage) if raw.model else None,
            latency_s=round(time.monotonic() - start, 4),
            attempts=attempts,
            cache_hit=False,
        )
        if completion.cost_usd is None and raw.model != self.provider.model:
            completion = _with_cost(completion, self.prices.cost(self.provider.model, raw.usage))
        if self.provider.kind == "offline":
            completion = _with_cost(completion, 0.0)
        if self.cache is not None and key is not None:
            self.cache.put(key, raw.text, raw.usage, raw.model)
        self._log(ledger_path, record, completion, None)
        return completion

    def _failed(self, exc: LLMError, start: float) -> Completion:
        """The ledger's view of a failed call: no text, and what the server billed for it
        (a :class:`BilledResponseError` carries that usage; other failures billed nothing
        we can know of, so their cost stays unknown)."""
        attempts = int(getattr(exc, "attempts", 1))
        latency = round(time.monotonic() - start, 4)
        if not isinstance(exc, BilledResponseError):
            return Completion(
                text="", model=self.provider.model, latency_s=latency, attempts=attempts
            )
        cost = self.prices.cost(exc.model, exc.usage)
        if cost is None and exc.model != self.provider.model:
            cost = self.prices.cost(self.provider.model, exc.usage)
        return Completion(
            text="",
            usage=exc.usage,
            model=exc.model,
            cost_usd=0.0 if self.provider.kind == "offline" else cost,
            latency_s=latency,
            attempts=attempts,
        )

    @property
    def server(self) -> str:
        """Where the calls go, for messages (base URL, or the backend's identity)."""
        return str(getattr(self.provider, "base_url", None) or self.provider.identity)

    def _attempts(
        self, msgs: list[Message], params: dict[str, Any], start: float, purpose: str
    ) -> tuple[RawCompletion, int]:
        """The provider's attempts under the retry policy, the per-attempt timeout and the
        call's deadline, with one line per retry and a heartbeat while waiting."""
        s = self.settings
        deadline = start + s.deadline_s
        n = s.retry.max_attempts
        attempt_no = 0
        who = f"[llm] {self.provider.model} ({purpose})"

        def attempt() -> RawCompletion:
            nonlocal attempt_no
            attempt_no += 1
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RetryableError("the call's deadline passed before this attempt")
            timeout = min(s.timeout_s, remaining)

            def beat(elapsed: float) -> None:
                self.report(
                    f"{who}: still waiting for {self.server}, attempt {attempt_no}/{n}, "
                    f"{elapsed:.0f} s of at most {timeout:.0f} s"
                )

            try:
                with Heartbeat(s.heartbeat_s, beat):
                    return self.provider.complete(msgs, params, timeout=timeout)
            except BilledResponseError as exc:
                exc.attempts = attempt_no  # not retried: the ledger needs the count
                raise

        def on_retry(k: int, exc: RetryableError, wait: float) -> None:
            self.announce(f"{who}: attempt {k}/{n} failed: {exc}; retrying in {wait:.1f} s")

        try:
            return call_with_retry(
                attempt, s.retry, on_retry=on_retry, deadline=deadline, clock=time.monotonic
            )
        except RetriesExhaustedError as exc:
            if time.monotonic() < deadline - 0.05:  # the attempts ran out, not the time
                self.announce(f"{who}: giving up: {exc}")
                raise
            timed_out: DeadlineExceededError | RetriesExhaustedError = exc
        except DeadlineExceededError as exc:
            timed_out = exc
        message = (
            f"model {self.provider.model!r} at {self.server} gave no answer within "
            f"llm.deadline_s={s.deadline_s:g} s ({timed_out.attempts} attempt(s), each waiting "
            f"at most llm.timeout_s={s.timeout_s:g} s; last: {timed_out}). Check that the "
            "server is up and serves this model; raise llm.deadline_s / llm.timeout_s only "
            "for a model known to answer this slowly."
        )
        self.announce(f"{who}: giving up: {message}")
        raise DeadlineExceededError(message, timed_out.attempts) from timed_out

    def _log(
        self,
        path: PathLike | None,
        record: dict[str, Any],
        completion: Completion,
        error: str | None,
    ) -> None:
        if path is None:
            return
        usage = Usage() if completion.cache_hit else completion.usage
        record = {
            **record,
            "model": completion.model or record["model"],
            "prompt_tokens": usage.prompt_tokens,
            "cached_prompt_tokens": usage.cached_prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "reasoning_tokens": usage.reasoning_tokens,
            "tokens_estimated": usage.estimated,
            "cost_usd": completion.cost_usd,
            "latency_s": round(completion.latency_s, 4),
            "attempts": completion.attempts,
            "cache_hit": completion.cache_hit,
            "error": error,
        }
        if completion.cache_hit:
            record["cached_usage"] = completion.usage.to_dict()
        append_record(Path(path), record)


def _with_cost(c: Completion, cost: float | None) -> Completion:
    return replace(c, cost_usd=cost)
