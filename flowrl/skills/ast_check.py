"""Static allowlist check of untrusted skill code (first line of defence, no execution).

Skill code may name only what :mod:`flowrl.skills.allowlist` lists: its arguments and
their fields, its own helpers, locals and literal constants, vetted ``jnp`` / ``jax.lax``
/ ``jax.nn`` paths, the game's enum members and a few builtins. Modules, enums and
functions may only be used where they are (``jnp.sum(x)``, ``BlockType.TREE.value``,
``helper(x)``), never stored or passed, so every other value is data and the data
attribute allowlist applies to it. Nothing may be assigned to an attribute or to an item
of anything but a list or array the function made itself.

Every problem is reported as one sentence an LLM can act on.
"""

from __future__ import annotations

import ast
import difflib
from typing import cast

from flowrl.envs.games import GameSpec
from flowrl.skills.allowlist import (
    AT_METHODS,
    BUILTIN_TYPES,
    CONSTANT_NAMES,
    MODULE_NAMES,
    MODULE_PREFIXES,
    SAFE_BUILTINS,
    GameRules,
    game_rules,
    library_paths,
    normalise_path,
)
from flowrl.skills.contract import (
    ENUM_NAMES,
    IS_DONE,
    NETWORK_NUMBER,
    PREDEFINED_TEXT,
    REQUIRED_FUNCTIONS,
    REWARD,
)

MAX_SOURCE_CHARS = 20_000
MAX_LINES = 400
MAX_NODES = 6_000
MAX_FUNCTIONS = 16
MAX_RANGE = 1_000
MAX_POWER = 64
MAX_STRING = 200

_ALLOWED_NODES: tuple[type[ast.AST], ...] = (
    ast.Module,
    ast.FunctionDef,
    ast.arguments,
    ast.arg,
    ast.Return,
    ast.Assign,
    ast.AugAssign,
    ast.AnnAssign,
    ast.Expr,
    ast.Name,
    ast.Load,
    ast.Store,
    ast.Attribute,
    ast.Subscript,
    ast.Slice,
    ast.Tuple,
    ast.List,
    ast.Dict,
    ast.Constant,
    ast.BinOp,
    ast.UnaryOp,
    ast.Compare,
    ast.Call,
    ast.keyword,
    ast.IfExp,
    ast.If,
    ast.For,
    ast.Pass,
    ast.Starred,
    ast.comprehension,
    ast.ListComp,
    ast.GeneratorExp,
    ast.operator,
    ast.unaryop,
    ast.cmpop,
)

_NODE_HINTS: dict[type[ast.AST], str] = {
    ast.Import: f"remove the import: {PREDEFINED_TEXT} are already available",
    ast.ImportFrom: f"remove the import: {PREDEFINED_TEXT} are already available",
    ast.While: "replace the while loop with vectorised jnp operations (loops must be bounded)",
    ast.Lambda: "define a named function with def instead of a lambda",
    ast.ClassDef: "do not define classes; write plain functions",
    ast.With: "do not use with-statements; skill code has no resources to manage",
    ast.Try: "do not use try/except; write code that cannot raise",
    ast.Raise: "do not raise exceptions; return a value instead",
    ast.Assert: "do not use assert; return a value instead",
    ast.Global: "do not use global; functions must be pure",
    ast.Nonlocal: "do not use nonlocal; functions must be pure",
    ast.Delete: "do not use del",
    ast.Yield: "do not use generators with yield; return arrays",
    ast.YieldFrom: "do not use generators with yield; return arrays",
    ast.Await: "do not use async code",
    ast.AsyncFunctionDef: "do not use async functions",
    ast.BoolOp: "Python `and`/`or` cannot be used on JAX arrays; use jnp.logical_and / jnp.logical_or",
    ast.NamedExpr: "do not use the walrus operator :=",
    ast.SetComp: "do not use set comprehensions",
    ast.DictComp: "do not use dict comprehensions",
    ast.Set: "do not use sets",
    ast.JoinedStr: "do not use f-strings; skill code returns numbers only",
}

# What a name stands for inside a function.
_MODULE, _ENUM, _FUNCTION, _BUILTIN, _DATA = "module", "enum", "function", "builtin", "data"


class _Checker(ast.NodeVisitor):
    def __init__(
        self, rules: GameRules, required: tuple[str, ...], max_functions: int = MAX_FUNCTIONS
    ) -> None:
        self.rules = rules
        self.max_functions = max_functions
        self.required = required
        self.reasons: list[str] = []
        self.functions, self.library_values = library_paths()
        self.data_attributes = rules.data_attributes
        self.module_functions: set[str] = set()
        self.module_constants: set[str] = set()
        self.params: set[str] = set()
        self.locals: set[str] = set()  # every name the current function binds
        self.owned: set[str] = set()  # locals holding a list/array this function made
        self.tainted: set[str] = set()  # names holding traced values inside the current function
        self.allowed_bare: set[int] = set()  # ids of Name nodes where a module/enum/function fits
        self.called: set[int] = set()  # ids of nodes in call position
        self.stringish: set[str] = set()  # names that may hold a string (no `%` on them)

    def fail(self, node: ast.AST, message: str) -> None:
        line = getattr(node, "lineno", None)
        where = f"Line {line}: " if line else ""
        reason = f"{where}{message}."
        if reason not in self.reasons:
            self.reasons.append(reason)

    # --- structure ---------------------------------------------------------------
    def check_module(self, tree: ast.Module) -> None:  # noqa: C901  # one branch per kind of module-level statement; being rewritten (sandbox work)
        self.module_functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
        self.stringish = _stringish_names(tree)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                self._check_binding(node, node.name)
            elif isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if not all(isinstance(t, ast.Name) for t in targets):
                    self.fail(node, "module-level assignments may only bind plain names")
                elif node.value is None:
                    self.fail(node, "module-level annotations need a value")
                elif any(
                    isinstance(sub, ast.Call)
                    and isinstance(sub.func, ast.Name)
                    and sub.func.id in self.module_functions
                    for sub in ast.walk(node.value)
                ):
                    self.fail(
                        node,
                        "module-level constants may not call your own functions; compute the "
                        "value inside a function (jnp functions, builtins and enums are fine)",
                    )
                for target in targets:
                    if isinstance(target, ast.Name):
                        self.module_constants.add(target.id)
                        self._check_binding(target, target.id)
                        if target.id in self.module_functions:
                            self.fail(target, f"`{target.id}` names both a function and a value")
                if isinstance(node, ast.AnnAssign):
                    self._check_annotation(node.annotation)
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                pass  # docstring
            elif type(node) in _NODE_HINTS:
                self.fail(node, _NODE_HINTS[type(node)])
            else:
                self.fail(
                    node,
                    f"only function definitions and constants are allowed at module level, "
                    f"not {type(node).__name__}",
                )
        if len(self.module_functions) > self.max_functions:
            self.fail(tree, f"define at most {self.max_functions} functions")
        for required in self.required:
            if required not in self.module_functions:
                self.fail(tree, f"define the required function `{required}`")
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                self.check_function(node)
            elif isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
                self.visit(node.value)

    def _check_binding(self, node: ast.AST, name: str) -> None:
        """Names skill code defines may not be dunders nor hide a predefined name."""
        if name.startswith("__"):
            self.fail(node, f"the name `{name}` is not allowed: dunder names are off limits")
        elif name in _PREDEFINED:
            self.fail(
                node,
                f"do not rebind the predefined name `{name}`; choose another name for your value",
            )

    def check_function(self, node: ast.FunctionDef) -> None:
        if node.decorator_list:
            self.fail(node, f"remove the decorators from `{node.name}`")
        args = node.args
        if args.vararg or args.kwarg or args.kwonlyargs or args.posonlyargs:
            self.fail(
                node,
                f"`{node.name}` must take plain positional parameters only (no *args/**kwargs)",
            )
        names = tuple(a.arg for a in args.args)
        expected = {
            IS_DONE: self.rules.signature.is_done,
            REWARD: self.rules.signature.reward,
            NETWORK_NUMBER: (),
        }.get(node.name)
        if expected is not None and names != expected:
            self.fail(
                node,
                f"`{node.name}` must have exactly the parameters ({', '.join(expected)}) "
                f"in this order, but has ({', '.join(names)})",
            )
        for default in args.defaults:
            if not _is_immutable_literal(default):
                self.fail(
                    default,
                    "parameter defaults must be literal constants that cannot change: numbers, "
                    "strings, True/False/None or tuples of them (a list, dict or set default "
                    "keeps what one call put in it for the next call); build the value inside "
                    "the function instead",
                )
        for arg in args.args:
            self._check_binding(arg, arg.arg)
            if arg.annotation is not None:
                self._check_annotation(arg.annotation)
        if node.returns is not None:
            self._check_annotation(node.returns)
        self.params = set(names)
        self.locals = set(names) | _bound_names(node)
        self.owned = set()
        # Every parameter of a skill function carries traced values (except literal defaults).
        self.tainted = set(names)
        for stmt in node.body:
            self.visit(stmt)
        self.params, self.locals, self.owned, self.tainted = set(), set(), set(), set()

    def _check_annotation(self, node: ast.AST) -> None:
        """Annotations are never evaluated (the loader compiles with postponed annotations),
        but they may only spell types: names, dotted names, subscripts and literals."""
        for sub in ast.walk(node):
            if not isinstance(sub, _ANNOTATION_NODES):
                self.fail(node, "annotations may only name types (e.g. jnp.ndarray, float)")
                return

    # --- generic ----------------------------------------------------------------
    def generic_visit(self, node: ast.AST) -> None:
        if type(node) in _NODE_HINTS:
            self.fail(node, _NODE_HINTS[type(node)])
            return
        if not isinstance(node, _ALLOWED_NODES):
            self.fail(node, f"the construct {type(node).__name__} is not allowed in skill code")
            return
        super().generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.fail(node, f"do not nest function `{node.name}`; define helpers at module level")

    # --- names ------------------------------------------------------------------
    def kind(self, name: str) -> str | None:
        """What ``name`` stands for here (None: nothing skill code can see)."""
        if name in self.locals or name in self.module_constants:
            return _DATA
        if name in self.module_functions:
            return _FUNCTION
        if name in MODULE_NAMES:
            return _MODULE
        if name in ENUM_NAMES:
            return _ENUM
        if name in SAFE_BUILTINS:
            return _BUILTIN
        if name in CONSTANT_NAMES:
            return _DATA
        return None

    def visit_Name(self, node: ast.Name) -> None:
        name = node.id
        if isinstance(node.ctx, ast.Store):
            if name in self.module_functions:
                self.fail(node, f"do not reuse the name of the function `{name}` for a value")
            elif name not in self.params:
                self._check_binding(node, name)
            return
        kind = self.kind(name)
        if name.startswith("__"):
            self.fail(node, f"the name `{name}` is not allowed: dunder names are off limits")
        elif kind is None:
            self.fail(
                node, f"the name `{name}` is not allowed in skill code; {self._names_hint(name)}"
            )
        elif (
            kind == _DATA
            or id(node) in self.allowed_bare
            or (kind == _BUILTIN and (id(node) in self.called or name in BUILTIN_TYPES))
            or kind == _FUNCTION  # own helpers may be passed (to jax.lax.cond): checked code
            or (kind == _ENUM and id(node) in self.called)
        ):
            return
        elif kind == _MODULE:
            self.fail(
                node, f"use `{name}` only as {name}.<function>(...); do not store or pass modules"
            )
        elif kind == _ENUM:
            self.fail(
                node,
                f"use `{name}` only as {name}.MEMBER.value, len({name}) or `for x in {name}`; "
                "do not store or pass the enum itself",
            )
        else:
            self.fail(node, f"call `{name}(...)` directly; do not store or pass functions")

    def _names_hint(self, name: str) -> str:
        visible = (
            sorted(self.locals)
            + sorted(self.module_functions | self.module_constants)
            + [*MODULE_NAMES, *ENUM_NAMES, *SAFE_BUILTINS]
        )
        close = difflib.get_close_matches(name, visible, n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        return (
            f"{hint}use only the function's arguments, your own helpers, locals and constants, "
            f"jnp, jax, {', '.join(ENUM_NAMES)} and the builtins {', '.join(SAFE_BUILTINS)}"
        )

    # --- attributes ----------------------------------------------------------------
    def visit_Attribute(self, node: ast.Attribute) -> None:
        if isinstance(node.ctx, ast.Store | ast.Del):
            self.fail(
                node,
                f"do not assign to the attribute `.{node.attr}`; skill code may not change "
                "objects, compute a new value instead",
            )
        path = _dotted(node)
        root = path.split(".")[0] if path else None
        if root in MODULE_NAMES and self.kind(root) == _MODULE:
            self._check_library_path(node, path)  # type: ignore[arg-type]  # root is set, so path is a str
            return
        if (
            isinstance(node.value, ast.Name)
            and node.value.id in ENUM_NAMES
            and self.kind(node.value.id) == _ENUM
        ):
            self._check_enum_member(node, node.value.id)
            return
        if root is not None and self.kind(root) is None and not root.startswith("__"):
            self.visit(node.value)  # the unknown name is the reason; its attributes add nothing
            return
        if node.attr.startswith("_"):
            self.fail(
                node,
                f"the attribute `{node.attr}` is not allowed: private and dunder attributes are off limits",
            )
            self.visit(node.value)
            return
        at_base = _at_update_base(node)
        if at_base is not None:
            if node.attr not in AT_METHODS or id(node) not in self.called:
                self.fail(
                    node,
                    f"after x.at[index] call one of {', '.join(sorted(AT_METHODS))}, "
                    "e.g. x.at[i].set(v)",
                )
            self.visit(at_base.value)
            self.visit(node.value.slice)  # type: ignore[attr-defined]
            return
        if node.attr == "at":
            self.fail(node, "use `.at` only as x.at[index].set(value) (or .add, .min, .max ...)")
        elif node.attr not in self.data_attributes:
            self.fail(node, f"the attribute `.{node.attr}` is not allowed: {self._attr_hint(node)}")
        self.visit(node.value)

    def _attr_hint(self, node: ast.Attribute) -> str:
        on_inventory = isinstance(node.value, ast.Name) and node.value.id.startswith("inventory")
        choices = self.rules.inventory_fields if on_inventory else sorted(self.data_attributes)
        close = difflib.get_close_matches(node.attr, choices, n=2)
        hint = f"did you mean {' or '.join(f'`.{c}`' for c in close)}? " if close else ""
        if on_inventory:
            return f"{hint}the inventory fields are {', '.join(self.rules.inventory_fields)}"
        return (
            f"{hint}on arrays use only methods and properties such as .sum(), .any(), .all(), "
            ".astype(), .max(), .min(), .mean(), .shape, x.at[i].set(v), on enum members "
            "`.value`, on inventory structs their fields"
        )

    def _check_library_path(self, node: ast.Attribute, path: str) -> None:
        norm = normalise_path(path)
        if norm in self.library_values:
            return
        if norm in self.functions:
            if id(node) not in self.called:
                self.fail(node, f"call `{path}(...)` directly; do not store or pass functions")
            return
        if norm in MODULE_PREFIXES:
            self.fail(
                node,
                f"`{path}` is a module; call one of its allowed functions, e.g. {path}.<function>(...)",
            )
            return
        # Report the first step off the allowlist: jax.debug.callback -> `.debug`.
        parts = path.split(".")
        allowed = self.functions | self.library_values
        for end in range(2, len(parts) + 1):
            prefix = normalise_path(".".join(parts[:end]))
            if prefix not in MODULE_PREFIXES:
                break
        bad, parent = ".".join(parts[:end]), ".".join(parts[: end - 1])
        if normalise_path(bad) in allowed:  # a vetted path with more attributes after it
            bad, parent = ".".join(parts[: end + 1]), bad
            reason = f"`{parent}` must be used as it is, without further attributes"
        else:
            close = difflib.get_close_matches(normalise_path(bad), sorted(allowed), n=2, cutoff=0.8)
            hint = f"did you mean {' or '.join(f'`{c}`' for c in close)}? " if close else ""
            reason = (
                f"`{bad}` is not on the list of pure array functions skill code may use "
                f"(no I/O, callbacks, configuration or submodules); {hint}see the allowed "
                "jnp / jax.lax / jax.nn functions in the contract"
            )
        self.fail(node, f"the attribute `.{bad.rsplit('.', 1)[1]}` is not allowed: {reason}")

    def _check_enum_member(self, node: ast.Attribute, enum: str) -> None:
        members = self.rules.enum_members[enum]
        if node.attr not in members:
            close = difflib.get_close_matches(node.attr, sorted(members), n=3)
            hint = f"did you mean {', '.join(f'{enum}.{c}' for c in close)}? " if close else ""
            self.fail(
                node,
                f"`{enum}.{node.attr}` is not a member of {enum}; {hint}use {enum}.MEMBER.value "
                f"with a member of this game's {enum}",
            )

    # --- calls, constants and control flow ---------------------------------------------
    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        self.called.add(id(func))
        if isinstance(func, ast.Name) and func.id == "range":
            for arg in node.args:
                value = _int_literal(arg)
                if value is None or abs(value) > MAX_RANGE:
                    self.fail(
                        node,
                        f"range() bounds must be integer literals up to {MAX_RANGE}; use jnp operations over arrays instead of long loops",
                    )
                    break
        if isinstance(func, ast.Name) and self.kind(func.id) == _DATA:
            self.fail(
                node,
                f"`{func.id}` is a value, not a function; call only your helpers, "
                "jnp/jax functions, array methods and the builtins",
            )
        elif not isinstance(func, ast.Name | ast.Attribute):
            self.fail(
                node,
                "call functions by name (helper(x), jnp.sum(x), x.sum()), not the result of an expression",
            )
        if isinstance(func, ast.Name) and func.id == "pow" and self.kind("pow") == _BUILTIN:
            if len(node.args) != 2 or node.keywords:
                self.fail(node, "call pow with two arguments only: pow(x, 2)")
            else:
                self._check_exponent(node, node.args[1], "exponent of `pow`")
        if isinstance(func, ast.Name) and func.id in ("len", "list", "tuple", "reversed"):
            for arg in node.args:
                if isinstance(arg, ast.Name) and arg.id in ENUM_NAMES:
                    self.allowed_bare.add(id(arg))
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, (str, bytes)) and len(node.value) > MAX_STRING:
            self.fail(
                node,
                f"string constants longer than {MAX_STRING} characters are not allowed outside docstrings",
            )
        elif (
            isinstance(node.value, int | float)
            and not isinstance(node.value, bool)
            and abs(node.value) > 1e9
        ):
            self.fail(node, "numeric constants must stay below 1e9 in magnitude")

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            return  # docstring or comment string: allowed at any length
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        left_pow = isinstance(node.left, ast.BinOp) and isinstance(node.left.op, ast.Pow)
        if isinstance(node.op, ast.Pow) and (left_pow or isinstance(node.right, ast.BinOp)):
            self.fail(node, "nested powers are not allowed")
        elif isinstance(node.op, ast.Pow | ast.LShift):
            what = "exponent of `**`" if isinstance(node.op, ast.Pow) else "shift count of `<<`"
            self._check_exponent(node, node.right, what)
        for side in (node.left, node.right):
            if isinstance(side, ast.Constant) and isinstance(side.value, (str, bytes)):
                self.fail(node, "string arithmetic is not allowed; skill code returns numbers only")
                break
        else:
            if isinstance(node.op, ast.Mod) and any(
                _mentions(side, self.stringish) for side in (node.left, node.right)
            ):
                self.fail(
                    node,
                    "string formatting with `%` is not allowed; skill code returns numbers "
                    "only (`%` is fine on numbers and arrays)",
                )
        self.generic_visit(node)

    def _check_exponent(self, node: ast.AST, exponent: ast.AST, what: str) -> None:
        """Powers and shifts take only small number literals: Python integers grow without
        bound, and one such C-level operation cannot be interrupted."""
        value = _number_literal(exponent)
        if value is None or abs(value) > MAX_POWER:
            self.fail(
                node,
                f"the {what} must be a number literal up to {MAX_POWER}, e.g. `x ** 2`: Python "
                "integers grow without bound; for a computed exponent use jnp.power(x, k), "
                "which works on fixed-size numbers",
            )

    def visit_UnaryOp(self, node: ast.UnaryOp) -> None:
        if isinstance(node.op, ast.Not) and self._is_tainted(node.operand):
            self.fail(
                node, "Python `not` cannot be used on JAX arrays; use jnp.logical_not(x) or ~x"
            )
        self.generic_visit(node)

    def visit_If(self, node: ast.If) -> None:
        if self._is_tainted(node.test):
            self.fail(
                node,
                "a Python `if` on a traced value fails under jit; compute both branches and pick with jnp.where(condition, a, b)",
            )
        self.generic_visit(node)

    def visit_IfExp(self, node: ast.IfExp) -> None:
        if self._is_tainted(node.test):
            self.fail(
                node,
                "`a if cond else b` on a traced value fails under jit; use jnp.where(cond, a, b)",
            )
        self.generic_visit(node)

    def visit_For(self, node: ast.For) -> None:
        if node.orelse:
            self.fail(node, "for/else is not allowed")
        for sub in ast.walk(node):
            # arrays too: a builtin such as len() makes a Python int of a traced value
            if _squares_itself(sub):
                self.fail(
                    sub,
                    "a value multiplied by itself in a loop grows exponentially (a Python "
                    "integer has no size limit); multiply by a constant, or compute with "
                    "jnp arrays of fixed size",
                )
        self._check_bounded_iter(node.iter, node)
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        if node.is_async:
            self.fail(node.target, "async comprehensions are not allowed")
        self._check_bounded_iter(node.iter, node.target)
        self.generic_visit(node)

    # --- assignment ------------------------------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        tainted = self._is_tainted(node.value)
        fresh = _makes_new_value(node.value)
        for target in node.targets:
            self._check_target(target)
            for name in _target_names(target):
                (self.tainted.add if tainted else self.tainted.discard)(name)
            if isinstance(target, ast.Name):
                (self.owned.add if fresh else self.owned.discard)(target.id)
            else:
                self.owned.difference_update(_target_names(target))
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        self._check_target(node.target)
        if self._is_tainted(node.value):
            self.tainted.update(_target_names(node.target))
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._check_target(node.target)
        self._check_annotation(node.annotation)
        if node.value is not None:
            if self._is_tainted(node.value):
                self.tainted.update(_target_names(node.target))
            if isinstance(node.target, ast.Name) and _makes_new_value(node.value):
                self.owned.add(node.target.id)
            self.visit(node.value)
        self.visit(node.target)

    def _check_target(self, target: ast.AST) -> None:
        """Assignment may bind names, or change items of a list/array this function made."""
        if isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._check_target(element)
        elif isinstance(target, ast.Starred):
            self._check_target(target.value)
        elif isinstance(target, ast.Subscript):
            base = target.value
            if not (isinstance(base, ast.Name) and base.id in self.owned):
                shown = base.id if isinstance(base, ast.Name) else "this value"
                self.fail(
                    target,
                    f"do not assign to an item of `{shown}`: only lists or arrays created in "
                    "this function may be changed (for arrays use x = x.at[i].set(v))",
                )

    # --- helpers ------------------------------------------------------------------
    def _check_bounded_iter(self, iterator: ast.AST, where: ast.AST) -> None:
        if (
            isinstance(iterator, ast.Call)
            and isinstance(iterator.func, ast.Name)
            and iterator.func.id in {"range", "enumerate", "zip", "reversed"}
        ):
            return
        if isinstance(iterator, ast.Tuple | ast.List):
            return
        if isinstance(iterator, ast.Name) and iterator.id in ENUM_NAMES:
            self.allowed_bare.add(id(iterator))
            return
        self.fail(
            where, "loops may only run over range(constant), literal tuples/lists or the game enums"
        )

    def _is_tainted(self, node: ast.AST) -> bool:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Name) and sub.id in self.tainted:
                return True
            if isinstance(sub, ast.Call) and isinstance(sub.func, ast.Attribute):
                base = sub.func.value
                if isinstance(base, ast.Name) and base.id in MODULE_NAMES:
                    return True  # jnp.* results are arrays
        return False


_NESTING_HINT = "write flat expressions with intermediate variables"
_ANNOTATION_NODES = (
    ast.Name,
    ast.Attribute,
    ast.Subscript,
    ast.Tuple,
    ast.List,
    ast.Constant,
    ast.Load,
    ast.BinOp,
    ast.BitOr,
)
_PREDEFINED = frozenset(MODULE_NAMES) | frozenset(ENUM_NAMES) | frozenset(SAFE_BUILTINS)


def _dotted(node: ast.AST) -> str | None:
    """``a.b.c`` for a chain of attributes on a name, else None."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _at_update_base(node: ast.Attribute) -> ast.Attribute | None:
    """For ``x.at[i].op`` the ``x.at`` node, else None."""
    value = node.value
    if (
        isinstance(value, ast.Subscript)
        and isinstance(value.value, ast.Attribute)
        and value.value.attr == "at"
    ):
        return value.value
    return None


def _makes_new_value(node: ast.AST) -> bool:
    """True when ``node`` builds a new object (not an alias of an existing one)."""
    return isinstance(node, ast.List | ast.ListComp | ast.Tuple | ast.BinOp) or (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute | ast.Name)
        and _dotted(node.func) is not None
        and (_dotted(node.func) or "").split(".")[0] in (*MODULE_NAMES, "list")
    )


def _bound_names(function: ast.FunctionDef) -> set[str]:
    """Every name a function body binds (assignments, loop and comprehension targets)."""
    names: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return names


def _int_literal(node: ast.AST) -> int | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _int_literal(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def _target_names(target: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _squares_itself(node: ast.AST) -> str | None:
    """The name ``v`` of ``v = v * v``, ``v *= v``, ``v = v ** 2 ...``: a statement that
    multiplies a name by itself (repeated in a loop, it doubles the number's size every
    pass); None for anything else."""
    if isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
        name = node.target.id
        mentions = sum(isinstance(n, ast.Name) and n.id == name for n in ast.walk(node.value))
        squares = isinstance(node.op, ast.Pow) or (
            isinstance(node.op, ast.Mult | ast.LShift) and mentions >= 1
        )
        return name if squares else None
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        if not isinstance(target, ast.Name):
            return None
        for sub in ast.walk(node.value):
            if isinstance(sub, ast.BinOp) and isinstance(sub.op, ast.Mult | ast.Pow):
                sides = [sub.left] if isinstance(sub.op, ast.Pow) else [sub.left, sub.right]
                uses = sum(
                    isinstance(n, ast.Name) and n.id == target.id
                    for side in sides
                    for n in ast.walk(side)
                )
                if uses >= (1 if isinstance(sub.op, ast.Pow) else 2):
                    return target.id
    return None


def _is_immutable_literal(node: ast.AST) -> bool:
    """Numbers, strings, bools, None, and tuples of them: values no call can change."""
    if isinstance(node, ast.Tuple):
        return all(_is_immutable_literal(e) for e in node.elts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        return _number_literal(node) is not None
    return isinstance(node, ast.Constant) and not isinstance(node.value, type(...))


def _number_literal(node: ast.AST) -> int | float | None:
    """The value of ``5``, ``-2.5`` ... (no bools); None for anything else."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        inner = _number_literal(node.operand)
        return None if inner is None else (-inner if isinstance(node.op, ast.USub) else inner)
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return cast(int | float, node.value)
    return None


def _mentions(node: ast.AST, names: set[str]) -> bool:
    """True when ``node`` holds a string constant, or a name or call of ``names``."""
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str | bytes):
            return True
        if isinstance(sub, ast.Name) and sub.id in names:
            return True
    return False


def _stringish_names(tree: ast.Module) -> set[str]:
    """Names that may hold a string anywhere in the module (scope-blind, conservative):
    assigned or defaulted from an expression with a string in it, helper parameters some
    call passes one, and helpers that return one."""
    functions = {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}
    names: set[str] = set()
    while True:
        before = len(names)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign | ast.AnnAssign | ast.AugAssign) and node.value:
                if _mentions(node.value, names):
                    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                    names.update(n for t in targets for n in _target_names(t))
            elif isinstance(node, ast.For | ast.comprehension) and _mentions(node.iter, names):
                names.update(_target_names(node.target))
            elif isinstance(node, ast.FunctionDef):
                params = node.args.args
                for arg, default in zip(
                    params[len(params) - len(node.args.defaults) :], node.args.defaults, strict=True
                ):
                    if _mentions(default, names):
                        names.add(arg.arg)
                if any(
                    isinstance(r, ast.Return) and r.value is not None and _mentions(r.value, names)
                    for r in ast.walk(node)
                ):
                    names.add(node.name)
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in functions
            ):
                param_names = [a.arg for a in functions[node.func.id].args.args]
                for param, passed in zip(param_names, node.args, strict=False):
                    if _mentions(passed, names):
                        names.add(param)
                names.update(k.arg for k in node.keywords if k.arg and _mentions(k.value, names))
        if len(names) == before:
            return names


def parse_source(source: str, skills: int = 1) -> tuple[ast.Module | None, list[str]]:
    """Parse ``source`` within the size limits of ``skills`` skills: (tree, reasons)."""
    max_chars, max_lines = MAX_SOURCE_CHARS * skills, MAX_LINES * skills
    if len(source) > max_chars:
        return None, [
            f"The code is {len(source)} characters long; keep skill code under {max_chars}."
        ]
    if source.count("\n") + 1 > max_lines:
        return None, [f"The code has more than {max_lines} lines; keep skill code short."]
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        where = f"Line {err.lineno}: " if err.lineno else ""
        return None, [f"{where}syntax error: {err.msg}; return valid Python source."]
    except (RecursionError, MemoryError, ValueError) as err:
        return None, [f"The code could not be parsed ({type(err).__name__}); {_NESTING_HINT}."]
    count = sum(1 for _ in ast.walk(tree))
    if count > MAX_NODES * skills:
        return None, [
            f"The code has {count} syntax nodes; keep it under {MAX_NODES * skills} (simplify it)."
        ]
    return tree, []


def check_tree(
    tree: ast.Module,
    game: GameSpec,
    required: tuple[str, ...] = REQUIRED_FUNCTIONS,
    skills: int = 1,
) -> list[str]:
    """Reasons why the parsed module ``tree`` breaks the allowlist of ``game``."""
    checker = _Checker(game_rules(game), required, MAX_FUNCTIONS * skills)
    try:
        checker.check_module(tree)
    except RecursionError:
        return [f"The code is nested too deeply to check; {_NESTING_HINT}."]
    return checker.reasons


def check_source(
    source: str,
    game: GameSpec,
    required: tuple[str, ...] = REQUIRED_FUNCTIONS,
    skills: int = 1,
) -> list[str]:
    """Reasons why ``source`` breaks the skill-code allowlist of ``game`` (empty: passes).

    ``required`` names the functions that must be defined (none for plan modules).
    ``skills``: how many skills the source holds (a plan module of K steps gets K times the
    size limits of one skill).
    """
    tree, reasons = parse_source(source, skills)
    if tree is None:
        return reasons
    return check_tree(tree, game, required, skills)
