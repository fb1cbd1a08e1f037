"""Plain data and errors of the LLM client: messages, usage, completions, the provider
interface (one attempt at one completion), and the errors every layer raises (each message
names the problem and the fix)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol


# -- errors -------------------------------------------------------------------------------
class LLMError(RuntimeError):
    """Base class of every failure raised by ``flowrl.llm``."""


class ConfigurationError(LLMError):
    """The provider cannot be used as configured (missing key, bad base URL, no KB, ...)."""


class MissingAPIKeyError(ConfigurationError):
    """OPENAI_API_KEY is not set."""

    def __init__(self, llm_name: str) -> None:
        super().__init__(
            f"OPENAI_API_KEY is not set, so model {llm_name!r} cannot be called. "
            "Export OPENAI_API_KEY=<your key> (and OPENAI_BASE_URL for an OpenAI-compatible "
            "server), provide an `llm_api` module with get_query(model_name), "
            "or run with --llm_name offline."
        )


class EndpointUnreachableError(ConfigurationError):
    """Nothing answers at the base URL (connection refused, DNS failure, TLS error).
    Preflight stops on it; waiting would not help."""


class AuthenticationFailedError(LLMError):
    """The server rejected the key (401/403). Not retried."""


class ModelNotFoundError(LLMError):
    """The server does not know the model (404 / model_not_found). Not retried."""


class BadRequestError(LLMError):
    """The server refused the request as malformed (400/422). Not retried."""


class BilledResponseError(LLMError):
    """The server answered, and billed, but the answer is unusable (no text because the
    completion budget ran out, content filtered). ``usage`` and ``model`` are what the server
    billed, so the ledger can log the call's tokens and dollars with the error."""

    def __init__(self, message: str, *, usage: Usage, model: str, attempts: int = 1) -> None:
        super().__init__(message)
        self.usage = usage
        self.model = model
        self.attempts = attempts


class RetryableError(LLMError):
    """A transient failure (429, 5xx, timeout, connection). The retry policy may try again."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RetriesExhaustedError(LLMError):
    """A transient failure persisted through every allowed attempt."""

    def __init__(self, attempts: int, last: BaseException) -> None:
        super().__init__(
            f"gave up after {attempts} attempt(s); last error: {last}. "
            "The server kept failing transiently: try again later, or check the server "
            "(llm.retry and llm.deadline_s bound how long a call waits)."
        )
        self.attempts = attempts
        self.last = last


class DeadlineExceededError(LLMError):
    """A call used up ``llm.deadline_s`` (all attempts and waits) without an answer."""

    def __init__(self, message: str, attempts: int) -> None:
        super().__init__(message)
        self.attempts = attempts


class ResponseFormatError(LLMError):
    """A structured answer still failed to parse or validate after every re-ask."""


# -- data ---------------------------------------------------------------------------------
Message = dict[str, str]
"""One chat message: ``{"role": "system" | "user" | "assistant", "content": str}``."""


@dataclass(frozen=True)
class Usage:
    """Token counts of one call, by kind.

    ``cached_prompt_tokens`` and ``reasoning_tokens`` are subsets of ``prompt_tokens`` and
    ``completion_tokens`` respectively, as OpenAI reports them. ``estimated`` marks counts
    made by the characters/4 rule instead of a provider's own count.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int = 0
    reasoning_tokens: int = 0
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Usage:
        data = data or {}
        return cls(
            prompt_tokens=int(data.get("prompt_tokens") or 0),
            completion_tokens=int(data.get("completion_tokens") or 0),
            cached_prompt_tokens=int(data.get("cached_prompt_tokens") or 0),
            reasoning_tokens=int(data.get("reasoning_tokens") or 0),
            estimated=bool(data.get("estimated", False)),
        )


@dataclass(frozen=True)
class Completion:
    """The answer of one query: text plus usage and bookkeeping.

    ``cost_usd`` is None when the model has no listed price ("unknown", never a guess).
    """

    text: str
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    cost_usd: float | None = None
    latency_s: float = 0.0
    attempts: int = 1
    cache_hit: bool = False

    def __str__(self) -> str:  # lets callers treat a Completion like the text it carries
        return self.text


def estimate_tokens(text: str) -> int:
    """Token estimate by the characters/4 rule (no tokenizer download needed)."""
    return (len(text) + 3) // 4


def messages_chars(messages: list[Message]) -> int:
    """Total characters of the message contents."""
    return sum(len(m.get("content") or "") for m in messages)


def estimate_messages_tokens(messages: list[Message]) -> int:
    """Prompt size estimate of ``messages`` in tokens (characters/4)."""
    return (messages_chars(messages) + 3) // 4


# -- the provider interface ---------------------------------------------------------------
@dataclass(frozen=True)
class RawCompletion:
    """What a provider returns from one successful attempt."""

    text: str
    usage: Usage
    model: str
    """The model that answered (a dated snapshot when the server reports one)."""


class Provider(Protocol):
    """A backend. ``complete`` makes exactly one attempt; retrying is the caller's job."""

    kind: str
    """"openai", "llm_api" or "offline"."""
    model: str
    cacheable: bool
    identity: str
    """What distinguishes this backend's answers for the cache (e.g. the base URL)."""

    def generation_params(self, max_gen: int | None) -> dict[str, Any]:
        """The parameters that shape the answer, resolved for this model (cache key part)."""
        ...

    def complete(
        self, messages: list[Message], params: dict[str, Any], timeout: float | None = None
    ) -> RawCompletion:
        """One attempt (``timeout``: seconds it may wait, where the backend can bound it).
        Raises RetryableError for transient failures."""
        ...

    def preflight(self, online: bool = False) -> None:
        """Raise a ConfigurationError/LLMError now if calls are bound to fail."""
        ...
