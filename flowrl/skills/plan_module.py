"""Plan modules: several skills in order, compiled into one module the flow env runs.

Step ``k`` of a plan module defines ``task_{k}_is_done`` (with ``n`` bound to the step's
target count), ``task_{k}_reward`` and ``task_{k}_network_number``. Helper functions and
constants of each skill are renamed with a ``s{k}_`` prefix so steps never collide, and
:func:`load_plan` executes each step in a namespace of its own (a step cannot reach, call or
replace another step's definitions).

A plan may also carry *upkeep* skills (:mod:`flowrl.skills.upkeep`): the library's skills
that restore food, drink or energy, which the flow env runs whenever that need falls low.
They follow the ``NUM_TASKS`` steps as modules ``K, K+1, ...``, and the header's ``UPKEEP``
literal says, for each, its skill, need and levels.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowrl.envs.games import GameSpec
from flowrl.skills.ast_check import parse_source
from flowrl.skills.contract import IS_DONE, NETWORK_NUMBER, REWARD
from flowrl.skills.loader import SkillCodeError, exec_checked, exec_tree


@dataclass(frozen=True)
class PlanStep:
    """One step of a plan: run skill ``name`` (its ``source``) until ``count`` is reached."""

    name: str
    source: str
    count: int = 1
    expert: int = 0


@dataclass(frozen=True)
class UpkeepSpec:
    """An upkeep skill of a plan: run ``name`` when the need ``stat`` (``food``, ``drink``
    or ``energy``) is at most ``below``, until it is at least ``until``."""

    name: str
    source: str
    stat: str
    below: int
    until: int
    expert: int = 0

    def header(self) -> tuple[str, str, int, int]:
        return (self.name, self.stat, int(self.below), int(self.until))


@dataclass(frozen=True)
class Upkeep:
    """A loaded upkeep entry: the need (its index in the features' ``player_intrinsics``),
    its levels, the skill's reward and its expert."""

    name: str
    stat: int
    below: int
    until: int
    reward: Callable[..., Any]
    expert: int


@dataclass(frozen=True)
class Plan:
    """A loaded plan module: per-step callables, target counts and expert indices, plus
    the upkeep skills the flow env may interrupt a step with."""

    names: tuple[str, ...]
    is_done: tuple[Callable[..., Any], ...]
    reward: tuple[Callable[..., Any], ...]
    experts: tuple[int, ...]
    counts: tuple[int, ...]
    source: str
    upkeep: tuple[Upkeep, ...] = ()

    @property
    def num_tasks(self) -> int:
        return len(self.is_done)

    @property
    def skill_names(self) -> tuple[str, ...]:
        """Every skill with an expert: the steps', then the upkeep skills'."""
        return (*self.names, *(u.name for u in self.upkeep))

    @property
    def skill_experts(self) -> tuple[int, ...]:
        """The expert of each of :attr:`skill_names`."""
        return (*self.experts, *(u.expert for u in self.upkeep))

    @property
    def num_experts(self) -> int:
        experts = self.skill_experts
        return max(experts) + 1 if experts else 0


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


def _step_body(step: PlanStep, k: int) -> str:
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
    return f"# --- step {k}: {step.name} (n={step.count}, expert={step.expert})\n" + ast.unparse(
        module
    )


def build_plan_module(
    steps: Sequence[PlanStep], game: GameSpec, upkeep: Sequence[UpkeepSpec] = ()
) -> str:
    """Source of the plan module running ``steps`` in order for ``game``, with the
    ``upkeep`` skills after them."""
    if not steps:
        raise ValueError("a plan needs at least one step")
    names = tuple(step.name for step in steps)
    header = (
        f'"""Plan module for {game.env_name}: {" -> ".join(names)}."""\n\n'
        f"STEP_NAMES = {names!r}\n"
        f"STEP_COUNTS = {tuple(int(s.count) for s in steps)!r}\n"
        f"NUM_TASKS = {len(steps)}\n"
    )
    if upkeep:
        header += f"UPKEEP = {tuple(u.header() for u in upkeep)!r}\n"
    parts = [header] + [_step_body(step, k) for k, step in enumerate(steps)]
    parts += [
        _step_body(PlanStep(u.name, u.source, 1, u.expert), len(steps) + j)
        for j, u in enumerate(upkeep)
    ]
    return "\n\n".join(parts) + "\n"


_STEP_NAME = re.compile(r"^(?:task_|s)(\d+)_")
_HEADER = ("STEP_NAMES", "STEP_COUNTS", "NUM_TASKS", "UPKEEP")


def split_steps(tree: ast.Module) -> tuple[dict[str, Any], dict[int, ast.Module]]:
    """Split a parsed plan module into its header constants and one module per step.

    A top-level definition belongs to step ``k`` by its name (``task_{k}_*`` or
    ``s{k}_*``); the header holds the literal ``STEP_*`` constants. Anything else is a
    :class:`SkillCodeError`.
    """
    header: dict[str, Any] = {}
    steps: dict[int, list[ast.stmt]] = {}
    problems: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # docstring
        names = _defined_names(node)
        if names and all(n in _HEADER for n in names) and isinstance(node, ast.Assign):
            try:
                value = ast.literal_eval(node.value)
            except ValueError:
                problems.append(f"Line {node.lineno}: {names[0]} must be a literal.")
                continue
            header.update(dict.fromkeys(names, value))
            continue
        found = {int(m.group(1)) for n in names if (m := _STEP_NAME.match(n))}
        if len(found) != 1 or len(names) != sum(1 for n in names if _STEP_NAME.match(n)):
            problems.append(
                f"Line {getattr(node, 'lineno', '?')}: every plan-module definition must belong "
                "to one step (task_{k}_... or s{k}_...)."
            )
            continue
        steps.setdefault(found.pop(), []).append(node)
    if problems:
        raise SkillCodeError(problems)
    modules = {k: ast.Module(body=body, type_ignores=[]) for k, body in sorted(steps.items())}
    return header, modules


def _defined_names(node: ast.stmt) -> list[str]:
    if isinstance(node, ast.FunctionDef):
        return [node.name]
    if isinstance(node, ast.Assign):
        return [t.id for t in node.targets if isinstance(t, ast.Name)] or ["<expression>"]
    return ["<statement>"]


def load_plan(source: str, game: GameSpec) -> Plan:
    """Check and load a plan module written by :func:`build_plan_module`.

    Each step runs in a namespace of its own, so no skill can see, call or replace another
    skill's functions; each step's code passes the static allowlist before it runs.
    """
    num_steps = max(1, len(re.findall(r"^def task_\d+_is_done\(", source, flags=re.M)))
    tree, reasons = parse_source(source, num_steps)
    if tree is None:
        raise SkillCodeError(reasons)
    header, modules = split_steps(tree)
    steps = list(modules)
    if steps != list(range(len(steps))) or not steps:
        raise SkillCodeError(
            ["The plan module must define task_0_* ... task_{K-1}_* without gaps."]
        )
    upkeep_rows = _upkeep_rows(header, len(steps))
    num_tasks = len(steps) - len(upkeep_rows)
    names = tuple(header.get("STEP_NAMES", tuple(f"step {k}" for k in range(num_tasks))))
    counts = _bound_counts(modules)[:num_tasks]
    stated = header.get("STEP_COUNTS")
    if stated is not None and tuple(stated) != counts:
        raise SkillCodeError(
            [
                f"STEP_COUNTS says {tuple(stated)} but the steps' task_k_is_done bind n="
                f"{counts}; make STEP_COUNTS match the bound counts (or remove it)."
            ]
        )
    is_done, reward, experts = [], [], []
    for k, module in modules.items():
        required = tuple(f"task_{k}_{suffix}" for suffix in ("is_done", "reward", "network_number"))
        namespace = exec_tree(module, game, f"<plan step {k}>", required=required)
        is_done.append(namespace[required[0]])
        reward.append(namespace[required[1]])
        expert = namespace[required[2]]()
        if isinstance(expert, bool) or not isinstance(expert, int) or not 0 <= expert < len(steps):
            raise SkillCodeError(
                [
                    f"task_{k}_network_number() returns {expert!r}; a plan of {len(steps)} steps "
                    f"numbers its experts 0..{len(steps) - 1}: return one of those."
                ]
            )
        experts.append(expert)
    upkeep = tuple(
        Upkeep(name, STAT_INDEX[stat], below, until, reward[num_tasks + j], experts[num_tasks + j])
        for j, (name, stat, below, until) in enumerate(upkeep_rows)
    )
    return Plan(
        names=names,
        is_done=tuple(is_done[:num_tasks]),
        reward=tuple(reward[:num_tasks]),
        experts=tuple(experts[:num_tasks]),
        counts=counts,
        source=source,
        upkeep=upkeep,
    )


STAT_INDEX = {"food": 1, "drink": 2, "energy": 3}
"""Needs an upkeep skill may restore, by their index in the features' ``player_intrinsics``
(health, food, drink, energy[, mana])."""


def _upkeep_rows(header: dict[str, Any], modules: int) -> list[tuple[str, str, int, int]]:
    """The header's ``UPKEEP`` rows, checked against ``NUM_TASKS`` and the modules."""
    rows = list(header.get("UPKEEP", ()))
    num_tasks = header.get("NUM_TASKS", modules - len(rows))
    ok = isinstance(num_tasks, int) and num_tasks >= 1 and num_tasks + len(rows) == modules
    for row in rows:
        ok = ok and isinstance(row, tuple) and len(row) == 4 and row[1] in STAT_INDEX
        ok = ok and all(type(v) is int for v in row[2:]) and row[2] < row[3]
    if not ok:
        raise SkillCodeError(
            [
                f"UPKEEP must hold one (skill, need, below, until) row per module after the "
                f"NUM_TASKS steps (need one of {sorted(STAT_INDEX)}, below < until); "
                f"the module has {modules} modules, NUM_TASKS={num_tasks!r}, "
                f"{len(rows)} upkeep rows."
            ]
        )
    return rows


def _bound_counts(modules: dict[int, ast.Module]) -> tuple[int, ...]:
    """The target count each step's ``task_k_is_done`` binds as its ``n`` default."""
    counts = []
    for k, module in modules.items():
        fn = next(
            (
                n
                for n in module.body
                if isinstance(n, ast.FunctionDef) and n.name == f"task_{k}_is_done"
            ),
            None,
        )
        default = fn.args.defaults[-1] if fn is not None and fn.args.defaults else None
        names = [a.arg for a in fn.args.args] if fn is not None else []
        value = default.value if isinstance(default, ast.Constant) else None
        if not names or names[-1] != "n" or type(value) is not int or value < 1:
            raise SkillCodeError(
                [
                    f"task_{k}_is_done must bind its target count as its last parameter, "
                    f"`n=<int >= 1>` (as build_plan_module writes it)."
                ]
            )
        counts.append(value)
    return tuple(counts)


def load_plan_file(path: str | Path, game: GameSpec) -> Plan:
    """Load a plan module from disk."""
    return load_plan(Path(path).read_text(), game)


def single_skill_plan(source: str, game: GameSpec, name: str = "skill", count: int = 1) -> Plan:
    """A one-step plan running one skill (used by the validator and tests)."""
    exec_checked(source, game)  # surfaces contract errors against the skill itself
    return load_plan(build_plan_module([PlanStep(name, source, count, 0)], game), game)
