"""Errors of the LLM layer. Each message names the problem and the fix."""

from __future__ import annotations


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


class AuthenticationFailedError(LLMError):
    """The server rejected the key (401/403). Not retried."""


class ModelNotFoundError(LLMError):
    """The server does not know the model (404 / model_not_found). Not retried."""


class BadRequestError(LLMError):
    """The server refused the request as malformed (400/422). Not retried."""


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
            "Raise llm.retry.max_attempts in the config or try again later."
        )
        self.attempts = attempts
        self.last = last


class ResponseFormatError(LLMError):
    """A structured answer still failed to parse or validate after every re-ask."""
