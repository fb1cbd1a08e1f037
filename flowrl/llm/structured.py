"""Ask for a structured answer, check it, and re-ask with the error a bounded number of times."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from flowrl.llm.errors import ResponseFormatError
from flowrl.llm.parsing import ParseError, parse_json_block, parse_python_block, schema_errors
from flowrl.llm.query import PathLike, Query
from flowrl.llm.types import Completion, Message

T = TypeVar("T")


@dataclass
class Answer:
    """A checked answer plus every completion it took (for token accounting)."""

    value: Any
    completions: list[Completion] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """The parse/validation errors of the rejected tries, in order."""

    @property
    def text(self) -> str:
        return self.completions[-1].text if self.completions else ""


def ask(
    query: Query,
    messages: list[Message],
    parse: Callable[[str], T],
    *,
    purpose: str,
    max_reasks: int,
    ledger: PathLike | None = None,
    max_gen: int | None = None,
) -> Answer:
    """Query, ``parse`` the text (raise ParseError/ValueError to reject), re-ask with the error.

    At most ``1 + max_reasks`` queries; then ResponseFormatError with every error seen.
    """
    convo = list(messages)
    answer = Answer(value=None)
    for attempt in range(max_reasks + 1):
        tag = purpose if attempt == 0 else f"{purpose}:reask{attempt}"
        completion = query(convo, max_gen, purpose=tag, ledger=ledger)
        answer.completions.append(completion)
        try:
            answer.value = parse(completion.text)
            return answer
        except (ParseError, ValueError) as exc:
            answer.errors.append(str(exc))
            convo = [
                *convo,
                {"role": "assistant", "content": completion.text},
                {
                    "role": "user",
                    "content": f"Your answer could not be used: {exc}\n"
                    "Reply again with the complete corrected answer in the required format.",
                },
            ]
    raise ResponseFormatError(
        f"{purpose}: no usable answer after {max_reasks + 1} tries; errors: "
        + " | ".join(answer.errors)
    )


def json_parser(
    schema: dict[str, Any], check: Callable[[Any], None] | None = None
) -> Callable[[str], Any]:
    """Parser for a fenced JSON object valid under ``schema`` and an optional extra ``check``."""

    def parse(text: str) -> Any:
        value = parse_json_block(text)
        errors = schema_errors(value, schema)
        if errors:
            raise ParseError("the JSON does not match the schema: " + "; ".join(errors[:5]))
        if check is not None:
            check(value)
        return value

    return parse


def python_parser(required: tuple[str, ...]) -> Callable[[str], str]:
    """Parser for a fenced Python module defining ``required`` functions."""
    return lambda text: parse_python_block(text, required)
