"""Skill specs: what a skill needs, uses up and yields, with amounts as linear lambdas.

A spec (JSON, see ``flowrl/resources/schemas/skill_spec.schema.json``)::

    {"name": "Make Wood Pickaxe", "description": "...",
     "requirements": {"wood": "lambda n: 1*n + 0", "crafting_table": "lambda n: 1"},
     "consumption": {"wood": "lambda n: n"},
     "gain": {"wood_pickaxe": "lambda n: n"},
     "ephemeral": false}

Amounts are strings ``lambda n: a*n + b``. :func:`parse_amount` reads them with :mod:`ast`
into an :class:`Amount` ``(a, b)``; nothing is ever evaluated, and anything that is not
a linear function of the single parameter is rejected with a message saying why.

A gain is either an amount string or a typed object ``{"type": T, "amount": ..., "tier": k}``
with ``T`` one of :data:`GAIN_TYPES`:

* ``inventory``: an inventory count rises by the amount (the default for plain keys);
* ``tool``: a tiered tool (full Craftax ``pickaxe``/``sword``) is set to level ``tier``;
* ``achievement``: the achievement named by the key (``achievement:COLLECT_DIAMOND``);
* ``level``: the floor (``player_level``) rises by the amount (full Craftax);
* ``stat``: an intrinsic (``health``, ``food``, ``drink``, ``energy``, ``mana``) rises;
* ``ephemeral``: a short-lived fact about the surroundings, e.g. a crafting table nearby.

Requirement keys use the same names: an inventory key needs that many items held, a tool
key needs at least that tier, an ephemeral key needs the fact to hold right before.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

GAIN_TYPES = ("inventory", "tool", "achievement", "level", "stat", "ephemeral")
STAT_KEYS = ("health", "food", "drink", "energy", "mana")
LEVEL_KEYS = ("player_level",)
ACHIEVEMENT_PREFIX = "achievement:"
MAX_AMOUNT_CHARS = 200
MAX_COEFFICIENT = 10_000


class SpecError(ValueError):
    """A spec or amount that cannot be accepted; the message says what to change."""


@dataclass(frozen=True)
class Amount:
    """The linear amount ``a*n + b`` parsed from ``text``."""

    a: float
    b: float
    text: str = ""

    def __call__(self, n: int | float) -> float:
        return self.a * n + self.b

    def count(self, n: int) -> int:
        """The amount for ``n`` as a whole number of items (rounded up, never negative)."""
        return max(0, math.ceil(self(n) - 1e-9))

    @property
    def canonical(self) -> str:
        """``lambda n: a*n + b`` with integral coefficients written without ``.0``."""
        return f"lambda n: {_num(self.a)}*n + {_num(self.b)}"

    @classmethod
    def constant(cls, b: float) -> Amount:
        amount = cls(0, b)
        return cls(0, b, amount.canonical)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _linear(node: ast.AST, arg: str) -> tuple[float, float]:
    """(a, b) of a linear expression in ``arg``; raises SpecError on anything else."""
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise SpecError(f"only numbers may appear in an amount, not {node.value!r}")
        if not math.isfinite(node.value) or abs(node.value) > MAX_COEFFICIENT:
            raise SpecError(f"the number {node.value!r} is out of range (|x| <= {MAX_COEFFICIENT})")
        return 0.0, float(node.value)
    if isinstance(node, ast.Name):
        if node.id != arg:
            raise SpecError(
                f"unknown name {node.id!r}; an amount may use only its parameter {arg!r}"
            )
        return 1.0, 0.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.UAdd | ast.USub):
        a, b = _linear(node.operand, arg)
        return (-a, -b) if isinstance(node.op, ast.USub) else (a, b)
    if isinstance(node, ast.BinOp):
        la, lb = _linear(node.left, arg)
        ra, rb = _linear(node.right, arg)
        if isinstance(node.op, ast.Add):
            return la + ra, lb + rb
        if isinstance(node.op, ast.Sub):
            return la - ra, lb - rb
        if isinstance(node.op, ast.Mult):
            if la and ra:
                raise SpecError("an amount must be linear in n (n*n is not allowed)")
            return la * rb + ra * lb, lb * rb
        if isinstance(node.op, ast.Div):
            if ra:
                raise SpecError("an amount may not divide by n")
            if rb == 0:
                raise SpecError("an amount may not divide by zero")
            return la / rb, lb / rb
        raise SpecError(f"the operator {type(node.op).__name__} is not allowed; use + - * /")
    raise SpecError(
        f"{type(node).__name__} is not allowed in an amount; write `lambda n: a*n + b` with numbers a, b"
    )


def parse_amount(text: str | int | float) -> Amount:
    """Parse ``lambda n: a*n + b`` (any linear form, e.g. ``lambda n: n``, ``lambda n: 2``).

    Plain numbers are accepted as constants. Never evaluates the text.
    """
    if isinstance(text, bool):
        raise SpecError(f"an amount must be a lambda string, not {text!r}")
    if isinstance(text, int | float):
        return Amount.constant(float(text))
    if not isinstance(text, str):
        raise SpecError(
            f"an amount must be a string like 'lambda n: 1*n + 0', not {type(text).__name__}"
        )
    if len(text) > MAX_AMOUNT_CHARS:
        raise SpecError(f"amount is longer than {MAX_AMOUNT_CHARS} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise SpecError(f"amount {text!r} is not valid Python: {exc.msg}") from None
    node = tree.body
    if not isinstance(node, ast.Lambda):
        raise SpecError(f"amount {text!r} must be a lambda like 'lambda n: 1*n + 0'")
    args = node.args
    if (
        len(args.args) != 1
        or args.vararg
        or args.kwarg
        or args.kwonlyargs
        or args.posonlyargs
        or args.defaults
    ):
        raise SpecError(f"amount {text!r} must take exactly one parameter, n")
    arg = args.args[0].arg
    try:
        a, b = _linear(node.body, arg)
    except SpecError as exc:
        raise SpecError(f"amount {text!r}: {exc}") from None
    return Amount(a, b, text)


@dataclass(frozen=True)
class Gain:
    """One typed gain of a skill."""

    key: str
    type: str
    amount: Amount
    tier: int | None = None

    def to_json(self) -> str | dict[str, Any]:
        if self.type == "tool":
            return {"type": "tool", "tier": self.tier}
        if self.type == default_gain_type(self.key, False) and self.type != "ephemeral":
            return self.amount.text or self.amount.canonical
        return {"type": self.type, "amount": self.amount.text or self.amount.canonical}


def default_gain_type(key: str, ephemeral_skill: bool) -> str:
    """The type a plain (string) gain for ``key`` has."""
    if key.startswith(ACHIEVEMENT_PREFIX):
        return "achievement"
    if key in STAT_KEYS:
        return "stat"
    if key in LEVEL_KEYS:
        return "level"
    return "ephemeral" if ephemeral_skill else "inventory"


def parse_gain(key: str, value: Any, ephemeral_skill: bool = False) -> Gain:
    """A :class:`Gain` from a spec's ``gain`` entry (amount string or typed object)."""
    if isinstance(value, Mapping):
        kind = value.get("type")
        if kind not in GAIN_TYPES:
            raise SpecError(
                f"gain {key!r}: type must be one of {', '.join(GAIN_TYPES)}, not {kind!r}"
            )
        if kind == "tool":
            tier = value.get("tier")
            if isinstance(tier, bool) or not isinstance(tier, int) or tier < 1:
                raise SpecError(f"gain {key!r}: a tool gain needs an integer tier >= 1")
            return Gain(key, "tool", Amount.constant(float(tier)), tier)
        if "amount" not in value:
            raise SpecError(f"gain {key!r}: a {kind} gain needs an amount")
        extra = set(value) - {"type", "amount"}
        if extra:
            raise SpecError(f"gain {key!r}: unknown fields {sorted(extra)}")
        return Gain(key, kind, parse_amount(value["amount"]))
    return Gain(key, default_gain_type(key, ephemeral_skill), parse_amount(value))


def _amount_table(data: Mapping[str, Any], section: str, errors: list[str]) -> dict[str, Amount]:
    """``data[section]`` parsed into amounts; each problem is appended to ``errors``."""
    raw = data.get(section) or {}
    if not isinstance(raw, Mapping):
        errors.append(f"`{section}` must be an object of key -> 'lambda n: a*n + b'")
        return {}
    table: dict[str, Amount] = {}
    for key, value in raw.items():
        try:
            table[str(key)] = parse_amount(value)
        except SpecError as exc:
            errors.append(f"{section}[{key!r}]: {exc}")
    return table


def _gains(data: Mapping[str, Any], ephemeral: bool, errors: list[str]) -> dict[str, Gain]:
    """``data["gain"]`` parsed into typed gains; each problem is appended to ``errors``."""
    raw = data.get("gain") or {}
    if not isinstance(raw, Mapping):
        errors.append("`gain` must be an object")
        return {}
    gains: dict[str, Gain] = {}
    for key, value in raw.items():
        try:
            gains[str(key)] = parse_gain(str(key), value, ephemeral)
        except SpecError as exc:
            errors.append(str(exc))
    return gains


@dataclass(frozen=True)
class SkillSpec:
    """A parsed skill spec. ``requirements``/``consumption`` map keys to amounts."""

    name: str
    description: str = ""
    requirements: dict[str, Amount] = field(default_factory=dict)
    consumption: dict[str, Amount] = field(default_factory=dict)
    gain: dict[str, Gain] = field(default_factory=dict)
    ephemeral: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SkillSpec:
        """Parse and check a spec dict; raises :class:`SpecError` naming every problem."""
        if not isinstance(data, Mapping):
            raise SpecError("a skill spec must be a JSON object")
        errors: list[str] = []
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            errors.append("the spec needs a non-empty string `name`")
            name = "?"
        unknown = set(data) - {
            "name",
            "description",
            "requirements",
            "consumption",
            "gain",
            "ephemeral",
        }
        if unknown:
            errors.append(f"unknown spec fields {sorted(unknown)}")
        ephemeral = data.get("ephemeral", False)
        if not isinstance(ephemeral, bool):
            errors.append("`ephemeral` must be true or false")
            ephemeral = False
        tables = {
            section: _amount_table(data, section, errors)
            for section in ("requirements", "consumption")
        }
        gains = _gains(data, ephemeral, errors)
        if not gains and not errors:
            errors.append("a skill must gain something (`gain` is empty)")
        for key, amount in tables.get("consumption", {}).items():
            if amount.a < 0 or amount.b < 0:
                errors.append(f"consumption[{key!r}] must not be negative")
        description = data.get("description", "")
        if not isinstance(description, str):
            errors.append("`description` must be a string")
            description = ""
        if errors:
            raise SpecError(f"skill {name!r}: " + "; ".join(errors))
        return cls(
            name=name.strip(),
            description=description,
            requirements=tables["requirements"],
            consumption=tables["consumption"],
            gain=gains,
            ephemeral=ephemeral,
        )

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (amount texts kept as written)."""
        return {
            "name": self.name,
            "description": self.description,
            "requirements": {k: v.text or v.canonical for k, v in self.requirements.items()},
            "consumption": {k: v.text or v.canonical for k, v in self.consumption.items()},
            "gain": {k: g.to_json() for k, g in self.gain.items()},
            "ephemeral": self.ephemeral,
        }

    @property
    def primary_gain(self) -> Gain:
        """The first gain: the one a step's target count refers to."""
        return next(iter(self.gain.values()))


def compute_frontier(
    candidates: Mapping[str, SkillSpec], learned: Mapping[str, SkillSpec]
) -> list[str]:
    """Candidates not learned yet whose every requirement is gained by some learned skill."""
    provided = {key for spec in learned.values() for key in spec.gain}
    return [
        name
        for name, spec in candidates.items()
        if name not in learned and all(key in provided for key in spec.requirements)
    ]
