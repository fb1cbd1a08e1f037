"""``Query``: a provider plus retry, cache, pricing and the ledger, callable as
``query(messages, max_gen) -> Completion``."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from flowrl.llm.base import Provider
from flowrl.llm.cache import ResponseCache, cache_key
from flowrl.llm.errors import LLMError, RetriesExhaustedError
from flowrl.llm.ledger import append_record, prompt_hash, utc_now
from flowrl.llm.pricing import PriceTable
from flowrl.llm.retry import call_with_retry
from flowrl.llm.settings import LLMSettings
from flowrl.llm.types import Completion, Message, Usage, estimate_messages_tokens

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
    ) -> None:
        self.llm_name = llm_name
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
            "ts": utc_now(),
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
            raw, attempts = call_with_retry(
                lambda: self.provider.complete(msgs, params), self.settings.retry
            )
        except LLMError as exc:
            attempts = exc.attempts if isinstance(exc, RetriesExhaustedError) else 1
            failed = Completion(
                text="",
                model=self.provider.model,
                latency_s=time.monotonic() - start,
                attempts=attempts,
            )
            self._log(ledger_path, record, failed, f"{type(exc).__name__}: {exc}")
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
            "cost_usd": None if error else completion.cost_usd,
            "latency_s": round(completion.latency_s, 4),
            "attempts": completion.attempts,
            "cache_hit": completion.cache_hit,
            "error": error,
        }
        if completion.cache_hit:
            record["cached_usage"] = completion.usage.to_dict()
        append_record(Path(path), record)


def _with_cost(c: Completion, cost: float | None) -> Completion:
    from dataclasses import replace

    return replace(c, cost_usd=cost)
