"""Strict extraction of structured answers: JSON or Python in a fenced block."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

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
    source = blocks[-1].strip() + "\n"
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise ParseError(f"the code does not parse: {exc.msg} (line {exc.lineno})") from exc
    defined = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    missing = [f for f in required_functions if f not in defined]
    if missing:
        raise ParseError(f"the code must define top-level function(s): {', '.join(missing)}")
    return source


def schema_errors(instance: Any, schema: dict[str, Any]) -> list[str]:
    """jsonschema errors as short sentences (empty when valid)."""
    from jsonschema import Draft202012Validator

    out = []
    for err in sorted(
        Draft202012Validator(schema).iter_errors(instance), key=lambda e: list(e.path)
    ):
        where = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        out.append(f"{where}: {err.message}")
    return out
