"""Plain data passed between the LLM layer and its callers: messages, usage, completions."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

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
