"""Structured answers: the JSON schemas of the chain's answers, strict extraction of JSON or
Python from a fenced block, and :func:`ask`, which re-asks with the error a bounded number
of times.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from jsonschema import Draft202012Validator

from flowrl.llm.query import PathLike, Query
from flowrl.llm.types import Completion, Message, ResponseFormatError

# -- schemas of the answers ---------------------------------------------------------------
PROPOSAL: dict[str, Any] = {
    "type": "object",
    "required": ["name", "description", "gain"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 100},
        "description": {"type": "string", "maxLength": 2000},
        "gain": {"type": "object", "minProperties": 1},
    },
}

REWARD_PLAN: dict[str, Any] = {
    "type": "object",
    "required": ["done_when", "reward_terms"],
    "properties": {
        "done_when": {"type": "string", "minLength": 1},
        "reward_terms": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "required": ["signal", "weight"],
                "properties": {
                    "signal": {"type": "string", "minLength": 1},
                    "weight": {"type": "number"},
                    "why": {"type": "string"},
                },
            },
        },
    },
}


@lru_cache(maxsize=1)
def skill_spec_schema() -> dict[str, Any]:
    """The library's skill-spec schema (``flowrl/resources/schemas/skill_spec.schema.json``)."""
    path = Path(__file__).resolve().parents[1] / "resources" / "schemas" / "skill_spec.schema.json"
    schema = json.loads(path.read_text())
    schema.pop("$id", None)  # resolve '#/$defs/...' locally
    return schema


ANALYSIS: dict[str, Any] = {
    "type": "object",
    "required": ["requirements", "consumption", "gain", "reason"],
    "additionalProperties": False,
    "properties": {  # amounts are checked by merging into the spec (check_spec)
        "requirements": {"type": "object"},
        "consumption": {"type": "object"},
        "gain": {"type": "object", "minProperties": 1},
        "reason": {"type": "string"},
    },
}


# -- strict extraction --------------------------------------------------------------------
_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[ \t]*\n(.*?)```", re.DOTALL)


class ParseError(ValueError):
    """The answer does not have the required shape; the message is meant for the LLM."""


def fenced_blocks(text: str, languages: tuple[str, ...]) -> list[str]:
    """Bodies of fenced blocks whose language tag is in ``languages`` (case-insensitive)."""
    wanted = {lang.lower() for lang in languages}
    return [body for lang, body in _FENCE.findall(text) if lang.lower() in wanted]


def parse_json_block(text: str) -> Any:
    """The JSON value in the last ```json fenced block of ``text``."""
    blocks = fenced_blocks(text, ("json",))
    if not blocks:
        raise ParseError("no ```json fenced block found; put the JSON object in one ```json block")
    try:
        return json.loads(blocks[-1])
    except json.JSONDecodeError as exc:
        raise ParseError(f"the ```json block is not valid JSON: {exc}") from exc


def parse_python_block(text: str, required_functions: tuple[str, ...] = ()) -> str:
    """The source in the last ```python fenced block, checked to parse and define the functions."""
    blocks = fenced_blocks(text, ("python", "py"))
    if not blocks:
        raise ParseError(
            "no ```python fenced block found; put the whole module in one ```python block"
        )
    return check_module(blocks[-1].strip() + "\n", required_functions)


def check_module(source: str, required_functions: tuple[str, ...] = ()) -> str:
    """``source`` when it parses and defines ``required_functions`` at top level."""
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ParseError(f"the code does not parse: {exc.msg} (line {exc.lineno})") from exc
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    missing = [f for f in required_functions if f not in defined]
    if missing:
        raise ParseError(f"the code must define top-level function(s): {', '.join(missing)}")
    return source


# -- edits: what a repair answer may send instead of the whole module ----------------------
EDIT_FORMAT = (
    "<<<<<<< SEARCH\n(the exact current lines)\n=======\n(their replacement)\n>>>>>>> REPLACE"
)
"""One edit of a repair answer (search/replace blocks, as code-editing tools use them)."""
_EDIT = re.compile(
    r"^<{5,9} ?SEARCH[ \t]*\n(.*?)^={5,9}[ \t]*\n(.*?)^>{5,9} ?REPLACE[ \t]*$",
    re.DOTALL | re.MULTILINE,
)


def edit_blocks(text: str) -> list[tuple[list[str], list[str]]]:
    """``(search lines, replacement lines)`` of every edit block in ``text``, in order."""
    return [(search.splitlines(), replace.splitlines()) for search, replace in _EDIT.findall(text)]


def _find(lines: list[str], search: list[str]) -> list[int]:
    """Where ``search`` occurs in ``lines`` (trailing whitespace ignored)."""
    want = [s.rstrip() for s in search]
    have = [s.rstrip() for s in lines]
    k = len(want)
    return [i for i in range(len(have) - k + 1) if have[i : i + k] == want]


def apply_edits(source: str, text: str) -> str:
    """``source`` with the edit blocks of ``text`` applied in order; each block's SEARCH lines
    must occur exactly once in the module as it stands when the block is applied."""
    blocks = edit_blocks(text)
    if not blocks:
        raise ParseError("no edit blocks found; use the edit format or send the whole module")
    lines = source.splitlines()
    for k, (search, replace) in enumerate(blocks, start=1):
        if not any(s.strip() for s in search):
            raise ParseError(f"edit {k} has no SEARCH lines; copy the lines to change")
        at = _find(lines, search)
        if len(at) != 1:
            where = "are not in the module" if not at else f"occur {len(at)} times"
            raise ParseError(
                f"edit {k}: its SEARCH lines {where}; copy them exactly from the current "
                "module, with a neighbouring line if needed so they occur once"
            )
        lines[at[0] : at[0] + len(search)] = replace
    return "\n".join(lines).strip() + "\n"


def json_schema_errors(instance: Any, schema: dict[str, Any]) -> list[str]:
    """jsonschema errors as short sentences (empty when valid)."""
    out = []
    for err in sorted(
        Draft202012Validator(schema).iter_errors(instance), key=lambda e: list(e.path)
    ):
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        out.append(f"{where}: {err.message}")
    return out


# -- ask with bounded re-asks -------------------------------------------------------------
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
    schema: dict[str, Any], check: Callable[[Any], object] | None = None
) -> Callable[[str], Any]:
    """Parser for a fenced JSON object valid under ``schema`` and an optional extra ``check``."""

    def parse(text: str) -> Any:
        value = parse_json_block(text)
        errors = json_schema_errors(value, schema)
        if errors:
            raise ParseError("the JSON does not match the schema: " + "; ".join(errors[:5]))
        if check is not None:
            check(value)
        return value

    return parse


def python_parser(required: tuple[str, ...]) -> Callable[[str], str]:
    """Parser for a fenced Python module defining ``required`` functions."""
    return lambda text: parse_python_block(text, required)


def repair_parser(source: str, required: tuple[str, ...]) -> Callable[[str], str]:
    """Parser for a repair of ``source``: edit blocks applied to it, or a whole module in a
    ```python block; the result must parse and define ``required`` functions."""

    def parse(text: str) -> str:
        if edit_blocks(text):
            return check_module(apply_edits(source, text), required)
        return parse_python_block(text, required)

    return parse


def plan_and_code_parser(required: tuple[str, ...]) -> Callable[[str], dict[str, Any]]:
    """Parser for the code step's answer: a reward plan (```json, :data:`REWARD_PLAN`) and the
    module (```python) in one answer; ``{"reward_plan", "source"}``. Both parts' errors are
    reported together, so one re-ask can fix both."""
    plan_parser = json_parser(REWARD_PLAN)

    def parse(text: str) -> dict[str, Any]:
        errors, value = [], {}
        for key, part in (("reward_plan", plan_parser), ("source", python_parser(required))):
            try:
                value[key] = part(text)
            except (ParseError, ValueError) as exc:
                errors.append(str(exc))
        if errors:
            raise ParseError("; ".join(errors))
        return value

    return parse
