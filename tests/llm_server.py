"""A small OpenAI-compatible HTTP server on 127.0.0.1 for tests of the LLM layer.

It speaks just enough of the Chat Completions API for the real ``openai`` client:
``POST /v1/chat/completions`` and ``GET /v1/models``. Replies are scripted per test
(a queue of :class:`Reply`), falling back to a default answer. Every request body and its
headers are recorded, and so is every ``usage`` it answered with (``billed``: the server's bill,
which tests compare with the ledger). It binds an ephemeral port and serves from a daemon thread.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

API_KEY = "test-key"


@dataclass
class Reply:
    """One scripted HTTP answer."""

    status: int = 200
    body: dict[str, Any] | None = None
    delay_s: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)


def ok(
    text: str,
    *,
    model: str = "gpt-4o-mini-2024-07-18",
    prompt_tokens: int = 11,
    completion_tokens: int = 7,
    cached_tokens: int = 0,
    reasoning_tokens: int = 0,
    with_usage: bool = True,
    finish_reason: str = "stop",
) -> Reply:
    body: dict[str, Any] = {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish_reason,
            }
        ],
    }
    if with_usage:
        body["usage"] = {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
            "prompt_tokens_details": {"cached_tokens": cached_tokens},
            "completion_tokens_details": {"reasoning_tokens": reasoning_tokens},
        }
    return Reply(200, body)


def error(status: int, message: str, *, code: str | None = None, type_: str = "error") -> Reply:
    return Reply(
        status, {"error": {"message": message, "type": type_, "code": code, "param": None}}
    )


class FakeOpenAI:
    """Scripted OpenAI-compatible server. Use as a context manager or call start/stop."""

    def __init__(self, models: tuple[str, ...] = ("gpt-4o-mini", "gpt-5", "gpt-4o", "o3")) -> None:
        self.models = set(models)
        self.script: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []
        self.billed: list[dict[str, Any]] = []
        """``{"model", "usage"}`` of every answer that carried usage, in the order sent."""
        self.default: Callable[[dict[str, Any]], Reply] = lambda req: ok(
            f"echo: {req['messages'][-1]['content'][:40]}", model=req.get("model", "?")
        )
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------
    def start(self) -> FakeOpenAI:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.02,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeOpenAI:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    # -- scripting ---------------------------------------------------------------------
    def push(self, *replies: Reply) -> None:
        with self._lock:
            self.script.extend(replies)

    def bill(self) -> dict[str, int]:
        """Token totals of everything this server billed, by kind (ledger field names)."""
        total = dict.fromkeys(
            ("prompt_tokens", "cached_prompt_tokens", "completion_tokens", "reasoning_tokens"), 0
        )
        with self._lock:
            for entry in self.billed:
                u = entry["usage"]
                total["prompt_tokens"] += int(u.get("prompt_tokens") or 0)
                total["completion_tokens"] += int(u.get("completion_tokens") or 0)
                details = u.get("prompt_tokens_details") or {}
                total["cached_prompt_tokens"] += int(details.get("cached_tokens") or 0)
                details = u.get("completion_tokens_details") or {}
                total["reasoning_tokens"] += int(details.get("reasoning_tokens") or 0)
        return total

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.requests if r["path"].endswith("/chat/completions")]

    def _next_reply(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            if self.script:
                return self.script.popleft()
        return self.default(request)

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:  # noqa: C901  # mccabe counts the nested handler's methods; each is simple
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _send(self, reply: Reply) -> None:
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                data = json.dumps(reply.body or {}).encode()
                usage = (reply.body or {}).get("usage")
                if usage:
                    with fake._lock:
                        fake.billed.append({"model": reply.body["model"], "usage": usage})
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for k, v in reply.headers.items():
                        self.send_header(k, v)
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {API_KEY}":
                    return True
                self._send(
                    error(
                        401,
                        "Incorrect API key provided.",
                        code="invalid_api_key",
                        type_="invalid_request_error",
                    )
                )
                return False

            def do_GET(self) -> None:
                fake.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": None}
                )
                if not self._authorised():
                    return
                if self.path.rstrip("/").endswith("/models"):
                    data = [
                        {"id": m, "object": "model", "owned_by": "test"}
                        for m in sorted(fake.models)
                    ]
                    self._send(Reply(200, {"object": "list", "data": data}))
                else:
                    self._send(error(404, f"no route {self.path}"))

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    self._send(error(400, "body is not JSON"))
                    return
                fake.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                if not self._authorised():
                    return
                if not self.path.rstrip("/").endswith("/chat/completions"):
                    self._send(error(404, f"no route {self.path}"))
                    return
                model = body.get("model")
                if model not in fake.models:
                    self._send(
                        error(
                            404,
                            f"The model `{model}` does not exist or you do not have access to it.",
                            code="model_not_found",
                            type_="invalid_request_error",
                        )
                    )
                    return
                self._send(fake._next_reply(body))

        return Handler


# -- a server that bills like a reasoning model -------------------------------------------
STEP_REASONING_TOKENS = {
    "propose": 1200,
    "spec": 1500,
    "reward": 2000,
    "code": 2500,
    "repair": 1500,
    "analyse": 1500,
}
"""Reasoning tokens per chain task at ``reasoning_effort: medium`` (the API's default). They
sum to 8.7k for propose+spec+reward+code+repair, the gpt-5 figure observed in issue #14."""
MERGED_STEPS = {"propose_spec": ("propose", "spec"), "reward_code": ("reward", "code")}
"""Steps that do two tasks in one answer. They are billed the sum of their tasks' reasoning:
whether a model reasons less for two tasks asked together than for each asked alone is what
this simulation cannot know, so it credits a merged call only with what it provably saves
(the prompt sent once, the answer's fields written once)."""


def step_reasoning_tokens(step: str, merged: str = "sum") -> int:
    """Reasoning tokens of one call of ``step`` at ``medium`` (1000 for an unknown step); a
    merged step's are its tasks' ``sum`` (credited), or their ``max`` (a what-if only: the
    least a merged call could reason, which needs a real model to show)."""
    tokens = [STEP_REASONING_TOKENS.get(t, 1000) for t in MERGED_STEPS.get(step, (step,))]
    return max(tokens) if merged == "max" else sum(tokens)


EFFORT_FACTOR = {"minimal": 0.05, "low": 0.3, "medium": 1.0, "high": 2.0}
"""Reasoning tokens relative to medium, by effort: an assumption of this simulation (OpenAI
publishes no ratio), not a measurement of gpt-5."""
CACHE_MIN_TOKENS = 1024
CACHE_BLOCK_TOKENS = 128


def _is_reasoning(model: str) -> bool:
    return model.startswith(("gpt-5", "o1", "o3", "o4")) and not model.startswith("gpt-5-chat")


def _common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix of two strings."""
    n = min(len(a), len(b))
    for i in range(n):
        if a[i] != b[i]:
            return i
    return n


def _tokens(chars: int) -> int:
    return (chars + 3) // 4


class ReasoningBiller:
    """``FakeOpenAI.default`` that answers with ``answer(request) -> text`` and bills like
    OpenAI's reasoning models: completion tokens = visible text + reasoning tokens, which
    depend on the chain step (from the prompt's ``[flowrl step=...]`` tag) and on
    ``reasoning_effort``; a request to a chat model that carries ``reasoning_effort`` is
    refused with 400 as the API does. Prompt caching is automatic: the longest prefix a prompt
    shares with an earlier one is reported as ``prompt_tokens_details.cached_tokens`` when it
    is at least 1024 tokens, in 128-token blocks. Tokens are characters / 4. The request's
    completion budget (``max_completion_tokens`` / ``max_tokens``) binds as in the API:
    reasoning is spent first, and an answer that does not fit is cut at the budget with
    ``finish_reason: length`` (no text at all when reasoning used it up), billed in full.
    ``faults`` maps a request number (0-based) to an error reply served instead (e.g. one
    429, one 500)."""

    def __init__(
        self,
        answer: Callable[[dict[str, Any]], str],
        faults: dict[int, Reply] | None = None,
        *,
        effort_independent: bool = False,
        merged: str = "sum",
    ) -> None:
        self.answer = answer
        self.effort_independent = effort_independent
        self.merged = merged
        """How a merged step's reasoning is billed (:func:`step_reasoning_tokens`)."""
        """The worst case: reasoning tokens as at ``medium`` whatever ``reasoning_effort`` says."""
        self.faults = dict(faults or {})
        self.seen: list[str] = []
        self.count = 0
        self._lock = threading.Lock()

    def cached_tokens(self, prompt: str) -> int:
        """Tokens of the longest prefix ``prompt`` shares with an earlier prompt, as billed."""
        shared = max((_common_prefix(prompt, p) for p in self.seen), default=0)
        tokens = shared // 4
        if tokens < CACHE_MIN_TOKENS:
            return 0
        return tokens - tokens % CACHE_BLOCK_TOKENS

    def __call__(self, request: dict[str, Any]) -> Reply:
        model = str(request.get("model"))
        effort = request.get("reasoning_effort")
        with self._lock:
            number = self.count
            self.count += 1
        if number in self.faults:
            return self.faults[number]
        if effort is not None and not _is_reasoning(model):
            return error(
                400,
                "Unrecognized request argument supplied: reasoning_effort",
                code="unsupported_parameter",
                type_="invalid_request_error",
            )
        if effort is not None and effort not in EFFORT_FACTOR:
            return error(400, f"Invalid value for reasoning_effort: {effort!r}")
        messages = request.get("messages") or []
        prompt = "".join(f"<{m.get('role')}>{m.get('content')}" for m in messages)
        with self._lock:
            cached = self.cached_tokens(prompt)
            self.seen.append(prompt)
        text = self.answer(request)
        step = re.search(r"\[flowrl step=(\w+) ", prompt)
        reasoning = 0
        if _is_reasoning(model):
            base = step_reasoning_tokens(step.group(1) if step else "", self.merged)
            factor = 1.0 if self.effort_independent else EFFORT_FACTOR[effort or "medium"]
            reasoning = int(base * factor)
        budget = request.get("max_completion_tokens") or request.get("max_tokens")
        finish = "stop"
        if budget and reasoning + _tokens(len(text)) > budget:
            reasoning = min(reasoning, budget)
            text, finish = text[: 4 * (budget - reasoning)], "length"
        return ok(
            text,
            model=model,
            prompt_tokens=_tokens(len(prompt)),
            completion_tokens=min(_tokens(len(text)) + reasoning, budget or 1 << 62),
            cached_tokens=cached,
            reasoning_tokens=reasoning,
            finish_reason=finish,
        )
