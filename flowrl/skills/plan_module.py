"""Plan modules: several skills in order, compiled into one module the flow env runs.

Step ``k`` of a plan module defines ``task_{k}_is_done`` (with ``n`` bound to the step's
target count), ``task_{k}_reward`` and ``task_{k}_network_number``. Helper functions and
constants of each skill are renamed with a ``s{k}_`` prefix so steps never collide.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowrl.skills.contract import IS_DONE, NETWORK_NUMBER, REWARD, signature_for
from flowrl.skills.loader import SkillCodeError, exec_checked

_STEP_FN = re.compile(r"^task_(\d+)_(is_done|reward|network_number)$")


@dataclass(frozen=True)
class PlanStep:
    """One step of a plan: run skill ``name`` (its ``source``) until ``count`` is reached."""

    name: str
    source: str
    count: int = 1
    expert: int = 0


@dataclass(frozen=True)
class Plan:
    """A loaded plan module: per-step callables, target counts and expert indices."""

    names: tuple[str, ...]
    is_done: tuple[Callable[..., Any], ...]
    reward: tuple[Callable[..., Any], ...]
    experts: tuple[int, ...]
    counts: tuple[int, ...]
    source: str

    @property
    def num_tasks(self) -> int:
        return len(self.is_done)

    @property
    def num_experts(self) -> int:
        return max(self.experts) + 1 if self.experts else 0


class _Renamer(ast.NodeTransformer):
    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = mapping

    def visit_Name(self, node: ast.Name) -> ast.AST:
        if node.id in self.mapping:
            return ast.copy_location(ast.Name(id=self.mapping[node.id], ctx=node.ctx), node)
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        self.generic_visit(node)
        node.name = self.mapping.get(node.name, node.name)
        return node


def _step_body(step: PlanStep, k: int, env_name: str) -> str:
    if step.count < 1:
        raise ValueError(f"step {k} ({step.name}) needs a target count >= 1, got {step.count}")
    tree = ast.parse(step.source)
    top_names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef)]
    for node in tree.body:
        if isinstance(node, ast.Assign):
            top_names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    mapping = {name: f"s{k}_{name}" for name in top_names}
    mapping[IS_DONE] = f"task_{k}_is_done"
    mapping[REWARD] = f"task_{k}_reward"
    mapping[NETWORK_NUMBER] = f"s{k}_skill_network_number"
    tree = _Renamer(mapping).visit(tree)
    body: list[ast.stmt] = []
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # drop the skill's module docstring
        if isinstance(node, ast.FunctionDef) and node.name == f"task_{k}_is_done":
            node.args.defaults = [ast.Constant(value=int(step.count))]  # bind n
        body.append(node)
    network = ast.parse(f"def task_{k}_network_number():\n    return {int(step.expert)}\n").body
    module = ast.Module(body=body + network, type_ignores=[])
    ast.fix_missing_locations(module)
    signature_for(env_name)  # fails early for unknown envs
    return f"# --- step {k}: {step.name} (n={step.count}, expert={step.expert})\n" + ast.unparse(
        module
    )


def build_plan_module(steps: Sequence[PlanStep], env_name: str) -> str:
    """Source of the plan module running ``steps`` in order for ``env_name``."""
    if not steps:
        raise ValueError("a plan needs at least one step")
    names = tuple(step.name for step in steps)
    header = (
        f'"""Plan module for {env_name}: {" -> ".join(names)}."""\n\n'
        f"STEP_NAMES = {names!r}\n"
        f"STEP_COUNTS = {tuple(int(s.count) for s in steps)!r}\n"
        f"NUM_TASKS = {len(steps)}\n"
    )
    parts = [header] + [_step_body(step, k, env_name) for k, step in enumerate(steps)]
    return "\n\n".join(parts) + "\n"


def load_plan(source: str, env_name: str) -> Plan:
    """Check and load a plan module written by :func:`build_plan_module`."""
    num_steps = max(1, len(re.findall(r"^def task_\d+_is_done\(", source, flags=re.M)))
    namespace = exec_checked(source, env_name, "<plan>", required=(), skills=num_steps)
    steps = sorted(
        {int(m.group(1)) for name in namespace if (m := _STEP_FN.match(name))},
    )
    if steps != list(range(len(steps))) or not steps:
        raise SkillCodeError(
            ["The plan module must define task_0_* ... task_{K-1}_* without gaps."]
        )
    names = tuple(namespace.get("STEP_NAMES", tuple(f"step {k}" for k in steps)))
    counts = tuple(namespace.get("STEP_COUNTS", tuple(1 for _ in steps)))
    experts = []
    for k in steps:
        for suffix in ("is_done", "reward", "network_number"):
            if f"task_{k}_{suffix}" not in namespace:
                raise SkillCodeError([f"The plan module lacks task_{k}_{suffix}."])
        experts.append(int(namespace[f"task_{k}_network_number"]()))
    return Plan(
        names=names,
        is_done=tuple(namespace[f"task_{k}_is_done"] for k in steps),
        reward=tuple(namespace[f"task_{k}_reward"] for k in steps),
        experts=tuple(experts),
        counts=counts,
        source=source,
    )


def load_plan_file(path: str | Path, env_name: str) -> Plan:
    """Load a plan module from disk."""
    return load_plan(Path(path).read_text(), env_name)


def single_skill_plan(source: str, env_name: str, name: str = "skill", count: int = 1) -> Plan:
    """A one-step plan running one skill (used by the validator and tests)."""
    exec_checked(source, env_name)  # surfaces contract errors against the skill itself
    return load_plan(build_plan_module([PlanStep(name, source, count, 0)], env_name), env_name)
