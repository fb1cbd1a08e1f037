"""The import graph: no circles between flowrl modules, and the lower layers never import
the higher ones (docs/architecture.md). Every import counts, at module level and inside
functions alike: a lazy import defers a cost, it does not make a circle go away."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "flowrl"
# higher layers may import lower ones, never the reverse
LAYERS = ["envs", "skills", "rl", "llm", "pipeline", "report"]  # report reads trees
# each one justified here; a new one must be too
KNOWN_UPWARD: set[tuple[str, str]] = {
    # the demo is an entry point (`make run`): it prints the report of the tree it made
    ("flowrl.pipeline.demo", "flowrl.report.collect"),
    ("flowrl.pipeline.demo", "flowrl.report.tables"),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PKG.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def module_imports() -> dict[str, set[str]]:
    modules = {module_name(p): p for p in PKG.rglob("*.py") if "resources" not in p.parts}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            found = []
            if isinstance(node, ast.Import):
                found = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                found = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            targets |= {t for t in found if t in modules and t != name}
        graph[name] = targets
    return graph


def test_no_import_circles() -> None:
    graph = module_imports()
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    # a package importing its own submodules is not a circle
    real = [c for c in cycles if not all(c[0].startswith(m) or m.startswith(c[0]) for m in c)]
    assert not real, real


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else None


def test_lower_layers_do_not_import_higher_ones() -> None:
    upward = {
        (src, dst)
        for src, targets in module_imports().items()
        for dst in targets
        if _layer(src) is not None and _layer(dst) is not None and _layer(dst) > _layer(src)
    }
    assert upward <= KNOWN_UPWARD, sorted(upward - KNOWN_UPWARD)


def test_the_game_registry_is_light_and_explicit() -> None:
    code = (
        "import sys; from flowrl.envs.games import get_game; "
        "g = get_game('Fabrax-Symbolic-v1'); "
        "assert 'jax' not in sys.modules and 'flowrl.envs.fabrax' not in sys.modules; "
        "from flowrl.envs.fabrax import constants as c; "
        "assert (g.inventory_cap, g.obs_dim) == (c.INVENTORY_CAP, c.OBS_DIM)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=300)
