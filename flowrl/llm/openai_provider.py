"""The official ``openai`` SDK as a provider (OpenAI and OpenAI-compatible servers).

GPT-5 and o-series models get ``max_completion_tokens`` and no ``temperature``; other models
get ``max_tokens`` and ``temperature``. The SDK's own retries are off (``max_retries=0``):
:mod:`flowrl.llm.retry` owns the policy so it is bounded and logged.
"""

from __future__ import annotations

import os
import re
from typing import Any

from flowrl.llm.base import RawCompletion
from flowrl.llm.errors import (
    AuthenticationFailedError,
    BadRequestError,
    ConfigurationError,
    LLMError,
    MissingAPIKeyError,
    ModelNotFoundError,
    RetryableError,
)
from flowrl.llm.settings import LLMSettings
from flowrl.llm.types import Message, Usage, estimate_tokens, messages_chars

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_REASONING = re.compile(r"^(gpt-5|o\d)")
_NO_SYSTEM_ROLE = re.compile(r"^o1-(mini|preview)")
RETRYABLE_STATUS = frozenset({408, 409, 429})


def is_reasoning_model(model: str) -> bool:
    """GPT-5 family and o-series: no temperature, ``max_completion_tokens``."""
    return bool(_REASONING.match(model.strip().lower()))


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


def map_openai_error(exc: BaseException, model: str, base_url: str) -> LLMError:
    """Translate an ``openai`` exception into a flowrl error that names the fix."""
    import openai

    where = f"at {base_url}"
    if isinstance(exc, openai.APITimeoutError):
        return RetryableError(f"request for model {model!r} timed out {where}")
    if isinstance(exc, openai.APIConnectionError):
        return RetryableError(
            f"cannot connect to {base_url} for model {model!r}: {exc}. "
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
            ids = {m.id for m in self.client.models.list()}
        except openai.NotFoundError:
            return  # server has no /models endpoint: nothing to check against
        except openai.APIError as exc:
            raise map_openai_error(exc, self.model, self.base_url) from exc
        if ids and self.model not in ids:
            shown = ", ".join(sorted(ids)[:20])
            raise ModelNotFoundError(
                f"model {self.model!r} is not among the models listed at {self.base_url} "
                f"({shown}{', ...' if len(ids) > 20 else ''}). Pass one of them as --llm_name."
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
            if self.settings.reasoning_effort:
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

    def complete(self, messages: list[Message], params: dict[str, Any]) -> RawCompletion:
        import openai

        try:
            response = self.client.chat.completions.create(
                model=self.model, messages=self._prepare(messages), **params
            )
        except openai.APIError as exc:
            raise map_openai_error(exc, self.model, self.base_url) from exc
        if not getattr(response, "choices", None):
            raise LLMError(f"model {self.model!r} at {self.base_url} returned no choices")
        choice = response.choices[0]
        text = choice.message.content
        if not text:
            reason = getattr(choice, "finish_reason", None)
            hint = (
                " The completion budget was used up (reasoning counts against it): "
                "raise max_gen / llm.reasoning_max_gen."
                if reason == "length"
                else ""
            )
            raise LLMError(
                f"model {self.model!r} returned no text (finish_reason={reason!r}).{hint}"
            )
        usage = _usage_from_response(response, messages, text)
        return RawCompletion(
            text=text, usage=usage, model=getattr(response, "model", None) or self.model
        )
