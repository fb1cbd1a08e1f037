"""What skill code may name: the allowlist the static check enforces.

Everything skill code can reach is listed here; anything else is refused. Four kinds of
access exist:

* **library paths**: ``jnp.<f>``, ``jax.numpy.<f>``, ``jnp.linalg.norm``, ``jax.lax.<f>``,
  ``jax.nn.<f>`` from vetted lists of pure array functions (:data:`FUNCTIONS`) and values
  (dtypes and constants, :data:`VALUES`);
* **enum members**: ``BlockType.TREE`` etc., checked against the game's own enums;
* **data attributes**: on any value (arguments, locals, results), only the game's
  inventory fields, ``value`` (of an enum member) and vetted array methods and properties
  (:data:`DATA_ATTRIBUTES`); ``x.at[i].<op>(...)`` for functional updates;
* **builtins**: :data:`SAFE_BUILTINS`.

The lists are intersections with what the installed JAX really has, so a name that does
not exist is never allowed. Per-game facts (inventory fields, enum members) come from the
game's own classes (:func:`game_rules`).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flowrl.envs.games import GameSpec, Signature
from flowrl.skills.contract import ENUM_NAMES

MODULE_NAMES = ("jnp", "jax")

_JNP_FUNCTIONS = """
abs absolute add all allclose amax amin angle any append arange arccos arccosh arcsin arcsinh
arctan arctan2 arctanh argmax argmin argsort around array array_equal asarray astype
atleast_1d atleast_2d average bincount bitwise_and bitwise_not bitwise_or bitwise_xor
broadcast_arrays broadcast_to cbrt ceil clip column_stack concatenate copysign cos cosh
count_nonzero cross cumprod cumsum deg2rad degrees diag diagonal diff digitize divide divmod
dot dstack einsum empty_like equal exp exp2 expand_dims expm1 eye fabs flatnonzero flip fliplr
flipud float_power floor floor_divide fmax fmin fmod full full_like greater greater_equal
heaviside hstack hypot identity inner invert isclose isfinite isin isinf isnan isneginf
isposinf kron lcm gcd ldexp left_shift less less_equal linspace log log10 log1p log2
logaddexp logaddexp2 logical_and logical_not logical_or logical_xor matmul max maximum mean
median meshgrid min minimum mod moveaxis multiply nan_to_num nanmax nanmean nanmin nansum
ndim negative nonzero not_equal ones ones_like outer pad percentile permute_dims positive power prod
ptp quantile rad2deg radians ravel reciprocal remainder repeat reshape right_shift rint roll
rot90 round searchsorted select shape sign signbit sin sinc sinh size sort sqrt square
squeeze stack std subtract sum swapaxes take take_along_axis tan tanh tensordot tile trace
transpose tril triu true_divide trunc unravel_index var vstack where zeros zeros_like
bool_ int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 bfloat16 float32 float64
bool int_ uint float_ finfo iinfo
"""
_JNP_VALUES = """
pi e inf nan newaxis euler_gamma ndarray
bool_ int8 int16 int32 int64 uint8 uint16 uint32 uint64 float16 bfloat16 float32 float64
bool int_ uint float_
"""
_LAX_FUNCTIONS = """
abs add argmax argmin bitwise_and bitwise_not bitwise_or bitwise_xor broadcast ceil clamp
concatenate cond convert_element_type cos cumsum cummax cummin cumprod div dynamic_index_in_dim
dynamic_slice dynamic_slice_in_dim dynamic_update_slice eq exp expand_dims floor ge gt
integer_pow le log lt max min mul ne neg pow reduce_max reduce_min reduce_sum rem reshape
round rsqrt select select_n sign sin sort sqrt square squeeze stop_gradient sub switch tanh
top_k
"""
_NN_FUNCTIONS = """
celu elu gelu glu hard_sigmoid hard_silu hard_swish hard_tanh identity leaky_relu log_sigmoid
log_softmax logsumexp mish one_hot relu relu6 selu sigmoid silu soft_sign softmax softplus
squareplus standardize swish tanh
"""

ARRAY_ATTRIBUTES = frozenset(
    [
        "all",
        "any",
        "argmax",
        "argmin",
        "argsort",
        "astype",
        "clip",
        "conj",
        "copy",
        "cumprod",
        "cumsum",
        "diagonal",
        "dot",
        "flatten",
        "max",
        "mean",
        "min",
        "nonzero",
        "prod",
        "ptp",
        "ravel",
        "repeat",
        "reshape",
        "round",
        "searchsorted",
        "sort",
        "squeeze",
        "std",
        "sum",
        "swapaxes",
        "take",
        "trace",
        "transpose",
        "var",
        "T",
        "dtype",
        "imag",
        "itemsize",
        "nbytes",
        "ndim",
        "real",
        "shape",
        "size",
    ]
)
"""Methods and properties of JAX arrays that skill code may use."""

OTHER_DATA_ATTRIBUTES = frozenset(
    [
        "value",
        "count",
        "index",
        "get",
        "items",
        "keys",
        "values",
        "eps",
        "tiny",
        "bits",
    ]
)
"""Enum members' ``.value``, read-only container methods, ``jnp.finfo``/``iinfo`` fields."""

DATA_ATTRIBUTES = ARRAY_ATTRIBUTES | OTHER_DATA_ATTRIBUTES
"""Attributes allowed on any data value (plus the game's inventory fields)."""

AT_METHODS = frozenset({"set", "add", "multiply", "divide", "power", "min", "max", "get"})
"""Operations allowed after ``x.at[index]`` (JAX's functional updates)."""

SAFE_BUILTINS = (
    "abs",
    "all",
    "any",
    "bool",
    "dict",
    "enumerate",
    "float",
    "int",
    "isinstance",
    "len",
    "list",
    "max",
    "min",
    "pow",
    "range",
    "reversed",
    "round",
    "sorted",
    "sum",
    "tuple",
    "zip",
)
BUILTIN_TYPES = frozenset({"bool", "float", "int"})
"""Builtins that may also be used as values (``x.astype(float)``)."""
CONSTANT_NAMES = ("True", "False", "None")


def _vetted(module: Any, names: str, prefix: str) -> frozenset[str]:
    return frozenset(f"{prefix}.{n}" for n in names.split() if hasattr(module, n))


@lru_cache(maxsize=1)
def library_paths() -> tuple[frozenset[str], frozenset[str]]:
    """(functions, values): the dotted ``jnp`` / ``jax.lax`` / ``jax.nn`` paths allowed."""
    import jax
    import jax.numpy as jnp

    functions = (
        _vetted(jnp, _JNP_FUNCTIONS, "jnp")
        | _vetted(jax.lax, _LAX_FUNCTIONS, "jax.lax")
        | _vetted(jax.nn, _NN_FUNCTIONS, "jax.nn")
        | _vetted(jnp.linalg, "norm", "jnp.linalg")
    )
    values = _vetted(jnp, _JNP_VALUES, "jnp") | frozenset({"jax.Array"})
    return functions, values


MODULE_PREFIXES = frozenset({"jnp", "jax", "jax.lax", "jax.nn", "jax.numpy", "jnp.linalg"})


def normalise_path(path: str) -> str:
    """``jax.numpy.x`` is ``jnp.x``."""
    return "jnp" + path[len("jax.numpy") :] if path.startswith("jax.numpy") else path


@dataclass(frozen=True)
class GameRules:
    """The per-game part of the allowlist: signature, inventory fields and enum members."""

    game: GameSpec
    signature: Signature
    inventory_fields: tuple[str, ...]
    enum_members: dict[str, frozenset[str]]

    @property
    def data_attributes(self) -> frozenset[str]:
        return DATA_ATTRIBUTES | frozenset(self.inventory_fields)


@lru_cache(maxsize=8)
def game_rules(game: GameSpec) -> GameRules:
    """The allowlist facts of ``game``, read from the game's own classes."""
    members = {name: frozenset(m.name for m in game.enum(name)) for name in ENUM_NAMES}
    return GameRules(
        game=game,
        signature=game.signature,
        inventory_fields=game.inventory_fields,
        enum_members=members,
    )


def safe_builtins() -> dict[str, Any]:
    """The builtins skill code sees (pure functions and types; no import machinery)."""
    table: dict[str, Any] = {name: getattr(builtins, name) for name in SAFE_BUILTINS}
    table.update({"True": True, "False": False, "None": None})
    return table


PROMPT_EXAMPLES = (
    "jnp.where jnp.sum jnp.abs jnp.clip jnp.maximum jnp.minimum jnp.logical_and jnp.logical_or "
    "jnp.logical_not jnp.any jnp.all jnp.float32 jnp.int32 jax.nn.relu"
)


def describe() -> str:
    """The allowlist in two sentences, for prompts (the full lists are in the docs)."""
    return (
        f"vetted pure functions of jnp, jnp.linalg, jax.lax and jax.nn (e.g. {PROMPT_EXAMPLES}); "
        f"array methods and properties ({', '.join(sorted(ARRAY_ATTRIBUTES))}) and "
        "x.at[i].set(v); the inventory fields; enum members with .value; "
        f"the builtins {', '.join(SAFE_BUILTINS)}."
    )


def full_listing() -> dict[str, list[str]]:
    """Every allowed library path and attribute (for docs and ``flowrl validate --allowlist``)."""
    functions, values = library_paths()
    return {
        "functions": sorted(functions),
        "values": sorted(values),
        "data attributes": sorted(DATA_ATTRIBUTES),
        "after x.at[i]": sorted(AT_METHODS),
        "builtins": list(SAFE_BUILTINS),
    }
