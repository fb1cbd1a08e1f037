"""Model phases: seed a tree with the first slots of another tree (``start_from``).

``skill_0 .. skill_{up_to-1}`` and ``init/`` are copied (checkpoints included; library
entries name checkpoints relative to the tree, so the copies stay consistent), and
``seed.json`` records the source, the slots and the models that made them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic
from flowrl.pipeline.status import read_json


def slot_models(slot_dir: Path) -> list[str]:
    """Models named in a slot's ledger (empty when it made no LLM call)."""
    ledger = slot_dir / "llm_calls.jsonl"
    if not ledger.is_file():
        return []
    from flowrl.llm.ledger import read_ledger

    return sorted({str(r.get("llm_name")) for r in read_ledger(ledger)})


def seed(source: str | Path, dest: str | Path, up_to: int) -> dict[str, Any]:
    source, dest = Path(source), Path(dest)
    last = source / f"skill_{up_to - 1}" / "library.json"
    if not last.is_file():
        raise FileNotFoundError(
            f"start_from: {last} is missing; up_to must end a committed round of {source}"
        )
    if source.resolve() == dest.resolve():
        raise ValueError("start_from.tree is this tree; continue it with start_from unset")
    dest.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in ["init", *[f"skill_{i}" for i in range(up_to)]]:
        if (source / name).is_dir():
            shutil.copytree(source / name, dest / name, dirs_exist_ok=True, symlinks=True)
            copied.append(name)
    lib = read_json(last)
    doc = {
        "source": str(source),
        "up_to": up_to,
        "mode": "copy",
        "slots": copied,
        "models": {f"skill_{i}": slot_models(source / f"skill_{i}") for i in range(up_to)},
        "skills_accepted": [s["name"] for s in lib.get("skills", [])],
    }
    write_json_atomic(dest / "seed.json", doc)
    return doc
