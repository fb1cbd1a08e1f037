"""Model selection: ``get_query(llm_name)`` and ``preflight(llm_name)``.

Resolution order: ``offline`` -> the built-in deterministic provider; an importable
``llm_api`` module with ``get_query(model_name)`` -> that; otherwise the official ``openai``
SDK with ``OPENAI_API_KEY`` and optional ``OPENAI_BASE_URL``.
"""

from __future__ import annotations

from flowrl.llm.base import Provider
from flowrl.llm.cache import ResponseCache
from flowrl.llm.custom_provider import LLMApiProvider, find_llm_api
from flowrl.llm.errors import ConfigurationError
from flowrl.llm.openai_provider import OpenAIProvider
from flowrl.llm.pricing import load_price_table
from flowrl.llm.query import PathLike, Query
from flowrl.llm.settings import LLMSettings, load_settings, pricing_file

OFFLINE = "offline"


def make_provider(llm_name: str, settings: LLMSettings) -> Provider:
    """The backend that ``llm_name`` resolves to (see module docstring)."""
    name = (llm_name or "").strip()
    if not name:
        raise ConfigurationError("llm_name is empty; pass e.g. --llm_name gpt-5 or offline")
    if name == OFFLINE:
        from flowrl.llm.offline import OfflineProvider

        return OfflineProvider()
    module = find_llm_api()
    if module is not None:
        return LLMApiProvider(name, module)
    return OpenAIProvider(name, settings)


def get_query(
    llm_name: str | None = None,
    *,
    settings: LLMSettings | None = None,
    ledger: PathLike | None = None,
    cache_dir: PathLike | None = None,
    purpose: str = "query",
) -> Query:
    """``query(messages, max_gen=None, *, purpose=None, ledger=None) -> Completion`` for a model.

    ``llm_name`` None uses ``settings.llm_name`` (``gpt-5`` by default). ``ledger`` names the
    default ``llm_calls.jsonl`` to append to (a call may name another). ``cache_dir``
    overrides ``settings.cache_dir``; caching is skipped when ``settings.cache_enabled`` is false.
    """
    settings = settings or load_settings()
    name = llm_name or settings.llm_name
    provider = make_provider(name, settings)
    cache = None
    if settings.cache_enabled:
        cache = ResponseCache(cache_dir if cache_dir is not None else settings.cache_dir)
    prices = load_price_table(pricing_file(settings))
    return Query(name, provider, settings, prices, ledger=ledger, cache=cache, purpose=purpose)


def preflight(
    llm_name: str | None = None, *, settings: LLMSettings | None = None, online: bool = False
) -> Query:
    """Check before any pipeline work that ``llm_name`` can be called; return its query.

    Raises MissingAPIKeyError naming OPENAI_API_KEY when the OpenAI SDK would be used without
    a key. With ``online=True`` it also asks the server's model list (free) and raises
    ModelNotFoundError when the model is not there.
    """
    query = get_query(llm_name, settings=settings)
    query.preflight(online)
    return query
