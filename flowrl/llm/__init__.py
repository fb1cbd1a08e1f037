"""LLM layer: model selection, honest errors, bounded retries, cost ledger, cache, prompt chains.

Entry points: :func:`get_query` (``query(messages, max_gen) -> Completion``), :func:`preflight`
(fail before work starts), :mod:`flowrl.llm.chain` (the LLM steps of the pipeline stages) and
``flowrl.llm.<env>.llm.generate_graph``.
"""

from flowrl.llm.providers import OFFLINE, get_query, make_provider, preflight
from flowrl.llm.query import Query
from flowrl.llm.settings import DEFAULT_LLM_NAME, LLMSettings, RetrySettings, load_settings
from flowrl.llm.types import (
    AuthenticationFailedError,
    BadRequestError,
    BilledResponseError,
    Completion,
    ConfigurationError,
    DeadlineExceededError,
    EndpointUnreachableError,
    LLMError,
    Message,
    MissingAPIKeyError,
    ModelNotFoundError,
    ResponseFormatError,
    RetriesExhaustedError,
    RetryableError,
    Usage,
)

__all__ = [
    "DEFAULT_LLM_NAME",
    "OFFLINE",
    "AuthenticationFailedError",
    "BadRequestError",
    "BilledResponseError",
    "Completion",
    "ConfigurationError",
    "DeadlineExceededError",
    "EndpointUnreachableError",
    "LLMError",
    "LLMSettings",
    "Message",
    "MissingAPIKeyError",
    "ModelNotFoundError",
    "Query",
    "ResponseFormatError",
    "RetriesExhaustedError",
    "RetrySettings",
    "RetryableError",
    "Usage",
    "get_query",
    "load_settings",
    "make_provider",
    "preflight",
]
