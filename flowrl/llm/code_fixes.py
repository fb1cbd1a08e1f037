"""Fixes to skill code that need no model: imports of names the contract predefines.

Models trained on ordinary Python open a module with ``import jax.numpy as jnp`` even when
told that ``jnp``, ``jax`` and the game's enums are predefined, and the validator refuses
every import. An import that binds only predefined names, each under its own name (``import
jax``, ``import jax.numpy as jnp``, ``from jax import numpy as jnp``, ``from ... import
BlockType``), adds nothing to the module, so it is removed here instead of costing an LLM
repair round. Any other import (``import numpy as np``, ``from jax import lax``) is left
for the validator to refuse and the model to repair. The result is validated like any code.
"""

from __future__ import annotations

import ast

from flowrl.skills.contract import ENUM_NAMES

_JAX_BINDINGS = {("jax", None), ("jax.numpy", None), ("jax.numpy", "jnp")}
"""``import X [as Y]`` forms that bind ``jax`` or ``jnp`` to the module of that name."""


def _binds_only_predefined(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.Import):
        return all((a.name, a.asname) in _JAX_BINDINGS for a in node.names)
    if node.module == "jax":
        return all(a.name == "numpy" and a.asname == "jnp" for a in node.names)
    return all(a.name in ENUM_NAMES and a.asname in (None, a.name) for a in node.names)


def strip_predefined_imports(source: str) -> tuple[str, list[str]]:
    """``source`` without its top-level imports of predefined names, and the removed lines
    (``source`` unchanged when it does not parse or has none)."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return source, []
    lines = source.splitlines(keepends=True)

    def span(node: ast.stmt) -> set[int]:
        return set(range(node.lineno - 1, node.end_lineno or node.lineno))

    fixable = [
        n
        for n in tree.body
        if isinstance(n, ast.Import | ast.ImportFrom) and _binds_only_predefined(n)
    ]
    kept_lines = set().union(*(span(n) for n in tree.body if n not in fixable))
    drop: set[int] = set()
    for node in fixable:
        if not span(node) & kept_lines:  # not sharing a line with other code (`import jax; x`)
            drop |= span(node)
    if not drop:
        return source, []
    removed = [lines[i].strip() for i in sorted(drop)]
    kept = "".join(line for i, line in enumerate(lines) if i not in drop)
    return kept, removed
