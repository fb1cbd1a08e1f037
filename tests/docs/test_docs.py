"""Every Python example in README.md and docs/ runs (in a scratch folder, on CPU)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
# Pages whose Python blocks are listings, not programs (signatures without bodies).
LISTINGS = {"skill_contract.md"}


def python_blocks() -> list[tuple[str, int, str]]:
    out = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        if page.name in LISTINGS:
            continue
        text = page.read_text()
        for k, match in enumerate(BLOCK.finditer(text)):
            out.append((page.name, k, match.group(1)))
    return out


BLOCKS = python_blocks()


def test_the_examples_are_found() -> None:
    pages = {name for name, _, _ in BLOCKS}
    assert {"training.md", "fabrax.md"} <= pages


def test_listings_still_parse_as_signatures() -> None:
    for name in LISTINGS:
        for match in BLOCK.finditer((REPO / "docs" / name).read_text()):
            stubs = re.sub(r"\) -> (\w+)$", r") -> \1: ...", match.group(1), flags=re.M)
            compile(stubs, name, "exec")


@pytest.mark.slow
@pytest.mark.parametrize(("page", "index", "code"), BLOCKS, ids=[f"{n}-{k}" for n, k, _ in BLOCKS])
def test_python_example_runs(page: str, index: int, code: str, tmp_path: Path) -> None:
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"{page} block {index}:\n{code}\n{proc.stderr[-3000:]}"


LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
# Targets another branch adds (the config-key catalog); drop a name once it is merged.
PENDING: set[str] = set()  # pages a branch adds later (none now)


def test_readme_is_short_and_indexes_every_page() -> None:
    readme = (REPO / "README.md").read_text()
    assert len(readme.splitlines()) <= 150
    linked = set(LINK.findall(readme))
    pages = {f"docs/{p.name}" for p in (REPO / "docs").glob("*.md")}
    assert pages <= linked, sorted(pages - linked)
    assert not [t for t in linked if t.startswith("..")], "README links outside the repository"
    for moved in ("## Time to an achievement", "## Benchmarks"):
        assert moved in readme


def test_relative_links_resolve() -> None:
    broken = []
    for page in [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]:
        for target in LINK.findall(page.read_text()):
            if "://" in target or target.startswith("mailto:"):
                continue
            path = (page.parent / target).resolve()
            if not path.exists() and path.relative_to(REPO).as_posix() not in PENDING:
                broken.append(f"{page.name}: {target}")
    assert not broken, broken
