"""Every Python example in README.md and docs/ runs (in a scratch folder, on CPU)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
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
