"""Bounded retry with exponential backoff and jitter. Retries :class:`RetryableError` only."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from flowrl.llm.errors import RetriesExhaustedError, RetryableError
from flowrl.llm.settings import RetrySettings

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
) -> tuple[T, int]:
    """Run ``fn`` up to ``policy.max_attempts`` times; return (result, attempts used).

    Any non-retryable exception propagates at once. When every attempt failed
    transiently, raises :class:`RetriesExhaustedError` carrying the attempt count.
    """
    rng = rng or random.Random()
    for attempt in range(1, policy.max_attempts + 1):
        try:
            return fn(), attempt
        except RetryableError as exc:
            if attempt == policy.max_attempts:
                raise RetriesExhaustedError(attempt, exc) from exc
            delay = backoff_delay(attempt, policy, rng, exc.retry_after)
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
