"""A user's own ``llm_api`` module as a provider.

``llm_api.get_query(model_name)`` returns a callable. It may take ``(messages, max_gen)`` or
``(prompt, max_gen)`` (a first parameter named ``prompt``/``text`` or annotated ``str``) and
return the text, ``(text, usage)``, or an object with ``.text`` (and ``.usage``). Usage may be a
mapping or object with OpenAI-style (``prompt_tokens``/``completion_tokens``) or
Responses-style (``input_tokens``/``output_tokens``) names; missing usage is estimated as
characters/4 and marked estimated.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from types import ModuleType
from typing import Any

from flowrl.llm.base import RawCompletion
from flowrl.llm.errors import ConfigurationError, LLMError, RetryableError
from flowrl.llm.types import Message, Usage, estimate_tokens, messages_chars

MODULE_NAME = "llm_api"
_PROMPT_PARAM_NAMES = frozenset({"prompt", "text", "prompt_text"})


def find_llm_api() -> ModuleType | None:
    """The importable ``llm_api`` module, or None when there is none.

    An ``llm_api`` that exists but fails to import is an error, not a silent fallback.
    """
    try:
        module = importlib.import_module(MODULE_NAME)
    except ModuleNotFoundError as exc:
        if exc.name == MODULE_NAME:
            return None
        raise ConfigurationError(f"module {MODULE_NAME!r} failed to import: {exc}") from exc
    if not callable(getattr(module, "get_query", None)):
        raise ConfigurationError(
            f"module {MODULE_NAME!r} ({getattr(module, '__file__', '?')}) has no get_query(model_name)"
        )
    return module


def _wants_prompt_string(fn: Callable[..., Any]) -> bool:
    try:
        params = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False
    if not params:
        return False
    first = params[0]
    return first.name in _PROMPT_PARAM_NAMES or first.annotation in (str, "str")


def render_prompt(messages: list[Message]) -> str:
    """Messages as one prompt string (contents separated by blank lines)."""
    return "\n\n".join(m["content"] for m in messages if m.get("content"))


def _get(obj: Any, *names: str) -> Any:
    for name in names:
        value = obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)
        if value is not None:
            return value
    return None


def coerce_usage(raw: Any, messages: list[Message], text: str) -> Usage:
    """Usage from whatever the custom callable reported (estimated when absent)."""
    if raw is None:
        return Usage(
            prompt_tokens=(messages_chars(messages) + 3) // 4,
            completion_tokens=estimate_tokens(text),
            estimated=True,
        )
    if isinstance(raw, Usage):
        return raw
    prompt = _get(raw, "prompt_tokens", "input_tokens") or 0
    completion = _get(raw, "completion_tokens", "output_tokens") or 0
    cached = _get(raw, "cached_prompt_tokens", "cached_tokens") or 0
    reasoning = _get(raw, "reasoning_tokens") or 0
    details = _get(raw, "prompt_tokens_details", "input_tokens_details")
    if details is not None and not cached:
        cached = _get(details, "cached_tokens") or 0
    details = _get(raw, "completion_tokens_details", "output_tokens_details")
    if details is not None and not reasoning:
        reasoning = _get(details, "reasoning_tokens") or 0
    return Usage(int(prompt), int(completion), int(cached), int(reasoning))


def coerce_result(result: Any, messages: list[Message]) -> tuple[str, Usage]:
    """(text, usage) from the accepted return shapes."""
    usage_raw: Any = None
    if isinstance(result, tuple) and len(result) == 2:
        result, usage_raw = result
    elif not isinstance(result, str) and hasattr(result, "text"):
        usage_raw = getattr(result, "usage", None)
        result = result.text
    if not isinstance(result, str):
        raise LLMError(
            f"{MODULE_NAME}.get_query(...) returned {type(result).__name__}; "
            "expected text or (text, usage)"
        )
    return result, coerce_usage(usage_raw, messages, result)


class LLMApiProvider:
    """Adapter over ``llm_api.get_query(model_name)``."""

    kind = "llm_api"
    cacheable = True

    def __init__(self, model: str, module: ModuleType) -> None:
        self.model = model
        self.module = module
        self.identity = f"llm_api:{getattr(module, '__file__', MODULE_NAME)}"
        self._fn: Callable[..., Any] | None = None

    @property
    def fn(self) -> Callable[..., Any]:
        if self._fn is None:
            fn = self.module.get_query(self.model)
            if not callable(fn):
                raise ConfigurationError(
                    f"{MODULE_NAME}.get_query({self.model!r}) returned {fn!r}, not a callable"
                )
            self._fn = fn
        return self._fn

    def preflight(self, online: bool = False) -> None:
        self.fn  # noqa: B018 - building the callable is the check

    def generation_params(self, max_gen: int | None) -> dict[str, Any]:
        return {"max_gen": int(max_gen or 4096)}

    def complete(self, messages: list[Message], params: dict[str, Any]) -> RawCompletion:
        fn = self.fn
        payload: Any = render_prompt(messages) if _wants_prompt_string(fn) else messages
        try:
            result = fn(payload, params["max_gen"])
        except (LLMError, KeyboardInterrupt):
            raise
        except Exception as exc:
            mapped = _map_foreign(exc, self.model)
            raise mapped from exc
        text, usage = coerce_result(result, messages)
        return RawCompletion(text=text, usage=usage, model=self.model)


def _map_foreign(exc: Exception, model: str) -> LLMError:
    """openai exceptions raised inside llm_api get the usual mapping; timeouts retry."""
    try:
        import openai
    except ImportError:  # pragma: no cover
        openai = None  # type: ignore[assignment]
    if openai is not None and isinstance(exc, openai.APIError):
        from flowrl.llm.openai_provider import map_openai_error

        return map_openai_error(exc, model, f"{MODULE_NAME} backend")
    if isinstance(exc, TimeoutError | ConnectionError):
        return RetryableError(f"{MODULE_NAME} query for {model!r} failed transiently: {exc!r}")
    return LLMError(f"{MODULE_NAME} query for {model!r} raised {exc!r}")
