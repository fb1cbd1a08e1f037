"""Static allowlist check of untrusted skill code (first line of defence, no execution).

Every problem is reported as one sentence an LLM can act on.
"""

from __future__ import annotations

import ast

from flowrl.skills.contract import (
    ALLOWED_MODULE_NAMES,
    ENUM_NAMES,
    FORBIDDEN_ATTRIBUTES,
    FORBIDDEN_NAMES,
    IS_DONE,
    NETWORK_NUMBER,
    REQUIRED_FUNCTIONS,
    REWARD,
    Signature,
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
    ast.Import: "remove the import: jnp, jax, BlockType, Achievement and Action are already available",
    ast.ImportFrom: "remove the import: jnp, jax, BlockType, Achievement and Action are already available",
    ast.While: "replace the while loop with vectorised jnp operations (loops must be bounded)",
    ast.Lambda: "define a named function with def instead of a lambda",
    ast.ClassDef: "do not define classes; write plain functions",
    ast.With: "do not use with-statements; skill code has no resources to manage",
    ast.Try: "do not use try/except; write code that cannot raise",
    ast.Raise: "do not raise exceptions; return a value instead",
    ast.Global: "do not use global; functions must be pure",
    ast.Nonlocal: "do not use nonlocal; functions must be pure",
    ast.Delete: "do not use del",
    ast.Yield: "do not use generators with yield; return arrays",
    ast.Await: "do not use async code",
    ast.AsyncFunctionDef: "do not use async functions",
    ast.BoolOp: "Python `and`/`or` cannot be used on JAX arrays; use jnp.logical_and / jnp.logical_or",
    ast.NamedExpr: "do not use the walrus operator :=",
    ast.SetComp: "do not use set comprehensions",
    ast.DictComp: "do not use dict comprehensions",
    ast.Set: "do not use sets",
    ast.JoinedStr: "do not use f-strings; skill code returns numbers only",
}


class _Checker(ast.NodeVisitor):
    def __init__(
        self, signature: Signature, required: tuple[str, ...], max_functions: int = MAX_FUNCTIONS
    ) -> None:
        self.max_functions = max_functions
        self.required = required
        self.reasons: list[str] = []
        self.signature = signature
        self.function_names: set[str] = set()
        self.module_constants: set[str] = set()
        self.tainted: set[str] = set()  # names holding traced values inside the current function

    def fail(self, node: ast.AST, message: str) -> None:
        line = getattr(node, "lineno", None)
        where = f"Line {line}: " if line else ""
        reason = f"{where}{message}."
        if reason not in self.reasons:
            self.reasons.append(reason)

    # --- structure ---------------------------------------------------------------
    def check_module(self, tree: ast.Module) -> None:
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                self.function_names.add(node.name)
            elif isinstance(node, ast.Assign) and all(
                isinstance(t, ast.Name) for t in node.targets
            ):
                if not _is_literal(node.value):
                    self.fail(node, "module-level assignments may only bind literal constants")
                self.module_constants.update(t.id for t in node.targets)  # type: ignore[attr-defined]
            elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                pass  # docstring
            elif type(node) in _NODE_HINTS:
                self.fail(node, _NODE_HINTS[type(node)])
            else:
                self.fail(
                    node,
                    f"only function definitions and literal constants are allowed at module level, "
                    f"not {type(node).__name__}",
                )
        if len(self.function_names) > self.max_functions:
            self.fail(tree, f"define at most {self.max_functions} functions")
        for required in self.required:
            if required not in self.function_names:
                self.fail(tree, f"define the required function `{required}`")
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                self.check_function(node)
            else:
                self.visit(node)

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
            IS_DONE: self.signature.is_done,
            REWARD: self.signature.reward,
            NETWORK_NUMBER: (),
        }.get(node.name)
        if expected is not None and names != expected:
            self.fail(
                node,
                f"`{node.name}` must have exactly the parameters ({', '.join(expected)}) "
                f"in this order, but has ({', '.join(names)})",
            )
        for default in args.defaults:
            if not _is_literal(default):
                self.fail(default, "parameter defaults must be literal constants")
        # Every parameter of a skill function carries traced values (except literal defaults).
        self.tainted = set(names)
        for stmt in node.body:
            self.visit(stmt)
        self.tainted = set()

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

    def visit_Name(self, node: ast.Name) -> None:
        name = node.id
        if name.startswith("__"):
            self.fail(node, f"the name `{name}` is not allowed: dunder names are off limits")
        elif name in FORBIDDEN_NAMES:
            self.fail(
                node,
                f"the name `{name}` is not allowed in skill code; use only jnp, jax and the game enums",
            )

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if node.attr.startswith("_"):
            self.fail(
                node,
                f"the attribute `{node.attr}` is not allowed: private and dunder attributes are off limits",
            )
        elif node.attr in FORBIDDEN_ATTRIBUTES:
            self.fail(
                node,
                f"the attribute `.{node.attr}` is not allowed: skill code must be pure (no I/O, callbacks or configuration)",
            )
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
        if isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant):
            exponent = node.right.value
            if isinstance(exponent, int | float) and abs(exponent) > MAX_POWER:
                self.fail(node, f"exponents above {MAX_POWER} are not allowed")
        if isinstance(node.op, ast.Pow) and isinstance(node.right, ast.BinOp):
            self.fail(node, "nested powers are not allowed")
        for side in (node.left, node.right):
            if isinstance(side, ast.Constant) and isinstance(side.value, (str, bytes)):
                self.fail(node, "string arithmetic is not allowed; skill code returns numbers only")
        self.generic_visit(node)

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
        self._check_bounded_iter(node.iter, node)
        self.generic_visit(node)

    def visit_comprehension(self, node: ast.comprehension) -> None:
        if node.is_async:
            self.fail(node.target, "async comprehensions are not allowed")
        self._check_bounded_iter(node.iter, node.target)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id == "range":
            for arg in node.args:
                value = _int_literal(arg)
                if value is None or abs(value) > MAX_RANGE:
                    self.fail(
                        node,
                        f"range() bounds must be integer literals up to {MAX_RANGE}; use jnp operations over arrays instead of long loops",
                    )
                    break
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        tainted = self._is_tainted(node.value)
        for target in node.targets:
            for name in _target_names(target):
                if tainted:
                    self.tainted.add(name)
                else:
                    self.tainted.discard(name)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        if self._is_tainted(node.value):
            self.tainted.update(_target_names(node.target))
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        if node.value is not None and self._is_tainted(node.value):
            self.tainted.update(_target_names(node.target))
        self.generic_visit(node)

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
                if isinstance(base, ast.Name) and base.id in ALLOWED_MODULE_NAMES:
                    return True  # jnp.* results are arrays
        return False


def _int_literal(node: ast.AST) -> int | None:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _int_literal(node.operand)
        return None if inner is None else -inner
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    return None


def _target_names(target: ast.AST) -> list[str]:
    return [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]


def _is_literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def check_source(
    source: str,
    signature: Signature,
    required: tuple[str, ...] = REQUIRED_FUNCTIONS,
    skills: int = 1,
) -> list[str]:
    """Reasons why ``source`` breaks the skill-code allowlist (empty when it passes).

    ``required`` names the functions that must be defined (none for plan modules).
    ``skills``: how many skills the source holds (a plan module of K steps gets K times the
    size limits of one skill).
    """
    max_chars, max_lines = MAX_SOURCE_CHARS * skills, MAX_LINES * skills
    max_nodes = MAX_NODES * skills
    if len(source) > max_chars:
        return [f"The code is {len(source)} characters long; keep skill code under {max_chars}."]
    if source.count("\n") + 1 > max_lines:
        return [f"The code has more than {max_lines} lines; keep skill code short."]
    try:
        tree = ast.parse(source)
    except SyntaxError as err:
        return [f"Line {err.lineno}: syntax error: {err.msg}; return valid Python source."]
    count = sum(1 for _ in ast.walk(tree))
    if count > max_nodes:
        return [f"The code has {count} syntax nodes; keep it under {max_nodes} (simplify it)."]
    checker = _Checker(signature, required, MAX_FUNCTIONS * skills)
    checker.check_module(tree)
    return checker.reasons
