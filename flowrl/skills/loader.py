"""Turn checked skill / plan source into callables inside a restricted namespace."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from flowrl.skills.ast_check import check_source
from flowrl.skills.contract import signature_for, skill_namespace


class SkillCodeError(ValueError):
    """Skill code broke the contract; ``reasons`` are sentences an LLM can act on."""

    def __init__(self, reasons: list[str]) -> None:
        self.reasons = list(reasons)
        super().__init__(" ".join(self.reasons))


def exec_checked(
    source: str, env_name: str, filename: str = "<skill>", **check: Any
) -> dict[str, Any]:
    """AST-check ``source`` for ``env_name`` and execute it in a fresh restricted namespace.

    ``check`` goes to :func:`flowrl.skills.ast_check.check_source` (e.g. the limits of a
    plan module: ``required=(), skills=K``).
    """
    reasons = check_source(source, signature_for(env_name), **check)
    if reasons:
        raise SkillCodeError(reasons)
    namespace = skill_namespace(env_name)
    try:
        exec(compile(source, filename, "exec"), namespace)
    except Exception as err:  # module body only binds functions and literals
        raise SkillCodeError([f"Defining the module failed: {type(err).__name__}: {err}."]) from err
    return namespace


def call_with_features(fn: Callable[..., Any], features: dict[str, Any]) -> Any:
    """Call a skill function, passing each parameter by name from ``features``.

    Parameters without a feature of that name (e.g. ``n`` bound by a plan step) keep
    their defaults.
    """
    params = inspect.signature(fn).parameters
    kwargs = {name: features[name] for name in params if name in features}
    return fn(**kwargs)
