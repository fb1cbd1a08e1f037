"""Model selection and the backends: ``get_query(llm_name)`` and ``preflight(llm_name)``.

Resolution order: ``offline`` -> the built-in deterministic provider (:mod:`.offline`); an
importable ``llm_api`` module with ``get_query(model_name)`` -> :class:`LLMApiProvider`;
otherwise the official ``openai`` SDK with ``OPENAI_API_KEY`` and optional
``OPENAI_BASE_URL`` (:class:`OpenAIProvider`).
"""

from __future__ import annotations

import difflib
import importlib
import inspect
import os
import re
import sys
from collections.abc import Callable
from types import ModuleType
from typing import Any

from flowrl.llm.ledger import load_price_table
from flowrl.llm.offline import OfflineProvider
from flowrl.llm.query import PathLike, Query, ResponseCache
from flowrl.llm.settings import LLMSettings, load_settings, pricing_file
from flowrl.llm.types import (
    AuthenticationFailedError,
    BadRequestError,
    BilledResponseError,
    ConfigurationError,
    EndpointUnreachableError,
    LLMError,
    Message,
    MissingAPIKeyError,
    ModelNotFoundError,
    Provider,
    RawCompletion,
    RetryableError,
    Usage,
    estimate_tokens,
    messages_chars,
)

# -- OpenAI SDK provider ------------------------------------------------------------------
DEFAULT_BASE_URL = "https://api.openai.com/v1"
_REASONING = re.compile(r"^(gpt-5|o\d)")
_NO_SYSTEM_ROLE = re.compile(r"^o1-(mini|preview)")
RETRYABLE_STATUS = frozenset({408, 409, 429})


_NO_EFFORT = re.compile(r"^(gpt-5-chat|o1-(mini|preview))")


def is_reasoning_model(model: str) -> bool:
    """GPT-5 family and o-series: no temperature, ``max_completion_tokens``."""
    return bool(_REASONING.match(model.strip().lower()))


def accepts_reasoning_effort(model: str) -> bool:
    """Whether the API takes ``reasoning_effort`` for ``model``: the GPT-5 reasoning models and
    o-series (not gpt-5-chat, o1-mini or o1-preview; never gpt-4o and other chat models)."""
    name = model.strip().lower()
    return is_reasoning_model(name) and not _NO_EFFORT.match(name)


def list_models_hint() -> str:
    return (
        "List the models your key can use with "
        '`python -c "import openai; print(sorted(m.id for m in openai.OpenAI().models.list()))"` '
        "(or GET $OPENAI_BASE_URL/models), then pass one as --llm_name"
    )


def _server_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("message"):
            return str(err["message"])
    return str(getattr(exc, "message", None) or exc)


def _error_code(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            return str(err.get("code") or err.get("type") or "")
    return str(getattr(exc, "code", "") or "")


def _retry_after(exc: Any) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def connection_reason(exc: BaseException) -> str:
    """The innermost cause's text of a connection error (``[Errno 111] Connection refused``),
    without a trailing period, so messages can go on after it."""
    reason = str(exc)
    cause = exc.__cause__ or exc.__context__
    while cause is not None:
        reason = str(cause) or reason
        cause = cause.__cause__ or cause.__context__
    return reason.rstrip(". ") or type(exc).__name__


def connect_failed(exc: BaseException) -> bool:
    """Whether ``exc`` is a failure to connect at all (refused, DNS, TLS handshake), as opposed
    to a timeout or a connection dropped mid-answer (transient)."""
    seen = 0
    cause: BaseException | None = exc
    while cause is not None and seen < 10:
        names = {k.__name__ for k in type(cause).__mro__}
        if "TimeoutException" in names or isinstance(cause, TimeoutError):
            return False
        if names & {"ConnectError", "SSLError", "gaierror", "ConnectionRefusedError"}:
            return True
        cause = cause.__cause__ or cause.__context__
        seen += 1
    return False


def map_openai_error(exc: BaseException, model: str, base_url: str) -> LLMError:
    """Translate an ``openai`` exception into a flowrl error that names the fix."""
    import openai  # deliberately lazy here and below: 0.7 s, and offline/llm_api need none

    where = f"at {base_url}"
    if isinstance(exc, openai.APITimeoutError):
        return RetryableError(f"request for model {model!r} timed out {where} (llm.timeout_s)")
    if isinstance(exc, openai.APIConnectionError):
        return RetryableError(
            f"cannot connect to {base_url} for model {model!r}: {connection_reason(exc)}. "
            "Check OPENAI_BASE_URL and your network."
        )
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        msg = _server_message(exc)
        code = _error_code(exc)
        if status in (401, 403):
            return AuthenticationFailedError(
                f"the server {where} rejected the API key ({status}: {msg}). "
                "Check OPENAI_API_KEY (and OPENAI_BASE_URL if you use another endpoint)."
            )
        if status == 404 or code == "model_not_found":
            return ModelNotFoundError(
                f"model {model!r} was not found {where} ({status}: {msg}). {list_models_hint()}. "
                "If the model exists, check that OPENAI_BASE_URL ends with the API root (e.g. /v1)."
            )
        if status == 429 and code == "insufficient_quota":
            return AuthenticationFailedError(
                f"the account behind OPENAI_API_KEY has no quota left ({msg}); "
                "add credit or use another key. Not retried."
            )
        if status in RETRYABLE_STATUS or status >= 500:
            return RetryableError(
                f"model {model!r} {where} answered {status}: {msg}", retry_after=_retry_after(exc)
            )
        if status in (400, 422):
            return BadRequestError(f"model {model!r} {where} refused the request ({status}: {msg})")
        return LLMError(f"model {model!r} {where} answered {status}: {msg}")
    return LLMError(f"calling model {model!r} {where} failed: {exc!r}")


def _usage_from_response(response: Any, messages: list[Message], text: str) -> Usage:
    usage = getattr(response, "usage", None)
    if usage is None:
        return Usage(
            prompt_tokens=(messages_chars(messages) + 3) // 4,
            completion_tokens=estimate_tokens(text),
            estimated=True,
        )
    prompt_details = getattr(usage, "prompt_tokens_details", None)
    completion_details = getattr(usage, "completion_tokens_details", None)
    return Usage(
        prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        cached_prompt_tokens=int(getattr(prompt_details, "cached_tokens", 0) or 0),
        reasoning_tokens=int(getattr(completion_details, "reasoning_tokens", 0) or 0),
    )


PREFLIGHT_TIMEOUT_S = 20.0
"""At most this long for the model list, so a blackholed address fails preflight quickly."""


def close_models(name: str, ids: set[str] | list[str], n: int = 3) -> list[str]:
    """Listed models close to ``name``, closest first: a listed name that ``name`` extends
    (``gpt-5`` for ``gpt-5-typo``, the longest such first), then difflib's matches by ratio."""
    base = [m for m in ids if name.startswith(m) and name[len(m) : len(m) + 1] in ("-", ".", ":")]
    base.sort(key=len, reverse=True)
    similar = difflib.get_close_matches(name, sorted(ids), n=n, cutoff=0.6)
    return list(dict.fromkeys([*base, *similar]))[:n]


class OpenAIProvider:
    """One model behind the ``openai`` SDK."""

    kind = "openai"
    cacheable = True

    def __init__(
        self,
        model: str,
        settings: LLMSettings,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
    ) -> None:
        self.model = model
        self.settings = settings
        self.api_key = api_key if api_key is not None else os.environ.get("OPENAI_API_KEY")
        self.base_url = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip(
            "/"
        )
        self.identity = f"openai:{self.base_url}"
        self._client: Any = None

    @property
    def reasoning(self) -> bool:
        return is_reasoning_model(self.model)

    def preflight(self, online: bool = False) -> None:
        """Fail now on a missing key; with ``online``, also check the model is listed."""
        if not self.api_key:
            raise MissingAPIKeyError(self.model)
        if online:
            self._check_model_listed()

    def _check_model_listed(self) -> None:
        import openai

        try:
            listing = self.client.with_options(
                timeout=min(PREFLIGHT_TIMEOUT_S, self.settings.timeout_s)
            )
            ids = {m.id for m in listing.models.list()}
        except openai.NotFoundError:
            return  # server has no /models endpoint: nothing to check against
        except openai.APIConnectionError as exc:
            if not isinstance(exc, openai.APITimeoutError) and connect_failed(exc):
                raise EndpointUnreachableError(
                    f"nothing answers at {self.base_url} ({connection_reason(exc)}), so model "
                    f"{self.model!r} cannot be called. Check OPENAI_BASE_URL (unset it for "
                    "api.openai.com) and that the server is running; nothing was started."
                ) from exc
            print(
                f"[llm] could not read the model list: {map_openai_error(exc, self.model, self.base_url)}",
                file=sys.stderr,
            )
            return
        except openai.APIError as exc:
            mapped = map_openai_error(exc, self.model, self.base_url)
            if isinstance(mapped, RetryableError):  # the calls themselves retry; go on
                print(f"[llm] could not read the model list: {mapped}", file=sys.stderr)
                return
            raise mapped from exc
        if ids and self.model not in ids:
            close = close_models(self.model, ids)
            shown = ", ".join(sorted(ids)[:20]) + (", ..." if len(ids) > 20 else "")
            hint = f"Did you mean {' or '.join(close)}? " if close else ""
            raise ModelNotFoundError(
                f"model {self.model!r} is not among the models listed at {self.base_url}. "
                f"{hint}Listed: {shown}. Pass one of them as llm_name (--llm_name, or "
                "--config llm_name=...); nothing was started."
            )

    @property
    def client(self) -> Any:
        if self._client is None:
            if not self.api_key:
                raise MissingAPIKeyError(self.model)
            import openai

            try:
                self._client = openai.OpenAI(
                    api_key=self.api_key,
                    base_url=self.base_url,
                    timeout=self.settings.timeout_s,
                    max_retries=0,
                )
            except openai.OpenAIError as exc:
                raise ConfigurationError(f"cannot create the OpenAI client: {exc}") from exc
        return self._client

    def generation_params(self, max_gen: int | None) -> dict[str, Any]:
        if self.reasoning:
            params: dict[str, Any] = {
                "max_completion_tokens": int(max_gen or self.settings.reasoning_max_gen)
            }
            if self.settings.reasoning_effort and accepts_reasoning_effort(self.model):
                params["reasoning_effort"] = self.settings.reasoning_effort
            return params
        return {
            "max_tokens": int(max_gen or self.settings.max_gen),
            "temperature": self.settings.temperature,
        }

    def _prepare(self, messages: list[Message]) -> list[Message]:
        if not _NO_SYSTEM_ROLE.match(self.model):
            return messages
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        rest = [dict(m) for m in messages if m["role"] != "system"]
        if system and rest and rest[0]["role"] == "user":
            rest[0]["content"] = f"{system}\n\n{rest[0]['content']}"
        elif system:
            rest.insert(0, {"role": "user", "content": system})
        return rest

    def complete(
        self, messages: list[Message], params: dict[str, Any], timeout: float | None = None
    ) -> RawCompletion:
        import openai

        limit = self.settings.timeout_s if timeout is None else timeout
        try:
            response = self.client.chat.completions.create(
                model=self.model, messages=self._prepare(messages), timeout=limit, **params
            )
        except openai.APIError as exc:
            raise map_openai_error(exc, self.model, self.base_url) from exc
        if not getattr(response, "choices", None):
            raise LLMError(f"model {self.model!r} at {self.base_url} returned no choices")
        choice = response.choices[0]
        text = choice.message.content or ""
        model = getattr(response, "model", None) or self.model
        usage = _usage_from_response(response, messages, text)
        if not text:
            reason = getattr(choice, "finish_reason", None)
            hint = {
                "length": " The completion budget was used up (reasoning counts against it): "
                "raise max_gen / llm.reasoning_max_gen.",
                "content_filter": " The server's content filter withheld the answer; "
                "rephrase the prompt or use another model.",
            }.get(str(reason), "")
            raise BilledResponseError(
                f"model {self.model!r} returned no text (finish_reason={reason!r}).{hint}",
                usage=usage,
                model=model,
            )
        return RawCompletion(text=text, usage=usage, model=model)


# -- llm_api provider ---------------------------------------------------------------------
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

    def complete(
        self, messages: list[Message], params: dict[str, Any], timeout: float | None = None
    ) -> RawCompletion:
        """One call of the custom callable (it cannot be given ``timeout``; ``llm.deadline_s``
        still ends the retrying between attempts)."""
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
        return map_openai_error(exc, model, f"{MODULE_NAME} backend")
    if isinstance(exc, TimeoutError | ConnectionError):
        return RetryableError(f"{MODULE_NAME} query for {model!r} failed transiently: {exc!r}")
    return LLMError(f"{MODULE_NAME} query for {model!r} raised {exc!r}")


# -- model selection ----------------------------------------------------------------------
OFFLINE = "offline"


def make_provider(llm_name: str, settings: LLMSettings) -> Provider:
    """The backend that ``llm_name`` resolves to (see module docstring)."""
    name = (llm_name or "").strip()
    if not name:
        raise ConfigurationError("llm_name is empty; pass e.g. --llm_name gpt-5 or offline")
    if name == OFFLINE:
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
