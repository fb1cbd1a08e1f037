"""Turn checked skill / plan source into callables inside a restricted namespace.

Every path from text to a callable goes through :func:`exec_checked` (or
:func:`exec_tree` for an already parsed module): the static allowlist check first, then
execution of the module body in a fresh namespace that holds only ``jnp``, ``jax``, the
game's enums and the safe builtins. Annotations are compiled postponed (never evaluated)
and module constants are frozen (lists become tuples, dicts read-only), so no skill can
change what its functions, or another skill's, see.
"""

from __future__ import annotations
import __future__

import ast
from types import MappingProxyType
from typing import Any

import jax
import jax.numpy as jnp

from flowrl.envs.games import GameSpec
from flowrl.skills.allowlist import safe_builtins
from flowrl.skills.ast_check import check_tree, parse_source
from flowrl.skills.contract import ENUM_NAMES, REQUIRED_FUNCTIONS

_COMPILE_FLAGS = __future__.annotations.compiler_flag


class SkillCodeError(ValueError):
    """Skill code broke the contract; ``reasons`` are sentences an LLM can act on."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = list(reasons)
        super().__init__(" ".join(self.reasons))


def skill_namespace(game: GameSpec) -> dict[str, Any]:
    """Fresh globals for executing skill code of ``game``: jnp, jax, enums, safe builtins."""
    namespace: dict[str, Any] = {"__builtins__": safe_builtins(), "jnp": jnp, "jax": jax}
    for name in ENUM_NAMES:
        namespace[name] = game.enum(name)
    return namespace


def _freeze(value: Any) -> Any:
    """A read-only copy of a literal constant (lists -> tuples, dicts -> mapping proxies)."""
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, set):
        return frozenset(value)
    return value


def exec_tree(
    tree: ast.Module,
    game: GameSpec,
    filename: str = "<skill>",
    required: tuple[str, ...] = REQUIRED_FUNCTIONS,
    skills: int = 1,
) -> dict[str, Any]:
    """Check the parsed module ``tree`` and execute it in a fresh restricted namespace."""
    reasons = check_tree(tree, game, required, skills)
    if reasons:
        raise SkillCodeError(reasons)
    namespace = skill_namespace(game)
    predefined = set(namespace)
    try:
        code = compile(tree, filename, "exec", flags=_COMPILE_FLAGS, dont_inherit=True)
        exec(code, namespace)
    except Exception as err:  # module body only binds functions and literals
        raise SkillCodeError([f"Defining the module failed: {type(err).__name__}: {err}."]) from err
    for name, value in list(namespace.items()):
        if name not in predefined and not callable(value):
            namespace[name] = _freeze(value)
    return namespace


def exec_checked(
    source: str,
    game: GameSpec,
    filename: str = "<skill>",
    required: tuple[str, ...] = REQUIRED_FUNCTIONS,
    skills: int = 1,
) -> dict[str, Any]:
    """AST-check ``source`` for ``game`` and execute it in a fresh restricted namespace.

    ``required`` and ``skills`` go to :func:`flowrl.skills.ast_check.check_tree` (e.g. the
    limits of a plan module: ``required=(), skills=K``).
    """
    tree, reasons = parse_source(source, skills)
    if tree is None:
        raise SkillCodeError(reasons)
    return exec_tree(tree, game, filename, required, skills)
