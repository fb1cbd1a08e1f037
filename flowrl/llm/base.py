"""The provider interface: one attempt at one completion, errors mapped to ``flowrl.llm.errors``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from flowrl.llm.types import Message, Usage


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

    def complete(self, messages: list[Message], params: dict[str, Any]) -> RawCompletion:
        """One attempt. Raises RetryableError for transient failures."""
        ...

    def preflight(self, online: bool = False) -> None:
        """Raise a ConfigurationError/LLMError now if calls are bound to fail."""
        ...
