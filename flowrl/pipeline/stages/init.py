"""Rule file ``init.smk``: the tree's starting library.

``flowrl slot init`` writes ``init/library.json``, the empty library (its frontier from the
game's knowledge base, if any).

``flowrl slot start_from`` (model phases, config ``start_from``) starts a tree from the first
slots of another tree: ``skill_0 .. skill_{up_to-1}`` and ``init/`` are copied (checkpoints
included; library entries name checkpoints relative to the tree, so the copies stay
consistent), and ``start_from.json`` records the source, the slots and the models that made
them. ``flowrl slot seed`` is the command's old name, kept as a deprecated alias; a tree
started under that name (its record is ``seed.json``) counts as started
(:func:`copied_before_rename`).
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic
from flowrl.envs.games import GameSpec, as_game
from flowrl.llm.ledger import read_ledger
from flowrl.pipeline.layout import LEGACY_START_FROM, SLOT_FILES, TREE_FILES, slot_name
from flowrl.pipeline.stages import Stage
from flowrl.pipeline.stages.common import add_env_argument
from flowrl.pipeline.status import read_json
from flowrl.skills.knowledge import kb_specs
from flowrl.skills.library import Library


def init_library(game: GameSpec | str, out: str | Path) -> None:
    """``init/library.json``: the empty library (frontier from the knowledge base if any)."""
    game = as_game(game)
    lib = Library(env_name=game.env_name)
    # games without a knowledge base start with an empty frontier
    with contextlib.suppress(ValueError, FileNotFoundError):
        lib.update_frontier(kb_specs(game))
    lib.save(out)


def slot_models(slot_dir: Path) -> list[str]:
    """Models named in a slot's ledger (empty when it made no LLM call)."""
    ledger = slot_dir / SLOT_FILES["ledger"]
    if not ledger.is_file():
        return []
    return sorted({str(r.get("llm_name")) for r in read_ledger(ledger)})


def start_from(source: str | Path, dest: str | Path, up_to: int) -> dict[str, Any]:
    """Copy ``init/`` and slots ``0..up_to-1`` of tree ``source`` into ``dest``; returns the
    record written to ``dest/start_from.json``."""
    source, dest = Path(source), Path(dest)
    last = source / slot_name(up_to - 1) / SLOT_FILES["library"]
    if not last.is_file():
        raise FileNotFoundError(
            f"start_from: {last} is missing; up_to must end a committed round of {source}"
        )
    if source.resolve() == dest.resolve():
        raise ValueError("start_from.tree is this tree; continue it with start_from unset")
    dest.mkdir(parents=True, exist_ok=True)
    copied = []
    init_dir = Path(TREE_FILES["init_library"]).parent.name
    for name in [init_dir, *[slot_name(i) for i in range(up_to)]]:
        if (source / name).is_dir():
            shutil.copytree(source / name, dest / name, dirs_exist_ok=True, symlinks=True)
            copied.append(name)
    lib = read_json(last)
    doc = {
        "source": str(source),
        "up_to": up_to,
        "mode": "copy",
        "slots": copied,
        "models": {slot_name(i): slot_models(source / slot_name(i)) for i in range(up_to)},
        "skills_accepted": [s["name"] for s in lib.get("skills", [])],
    }
    write_json_atomic(dest / TREE_FILES["start_from"], doc)
    return doc


def copied_before_rename(tree: str | Path, source: str | Path, up_to: int) -> bool:
    """Whether ``tree`` already holds slots ``0..up_to-1`` of ``source``, copied when the
    step was called ``seed``: its record is ``seed.json`` (no ``start_from.json``) and names
    this source and ``up_to``. The workflow then defines no copy rule (``init.smk``): the
    rule's new output name would redo the copy and with it every slot after."""
    tree = Path(tree)
    legacy = tree / LEGACY_START_FROM
    if (tree / TREE_FILES["start_from"]).exists() or not legacy.is_file():
        return False
    if not (tree / slot_name(up_to - 1) / SLOT_FILES["library"]).is_file():
        return False
    doc = read_json(legacy)
    same_source = Path(str(doc.get("source", ""))).resolve() == Path(source).resolve()
    return same_source and int(doc.get("up_to", -1)) == int(up_to)


def _init_arguments(p: argparse.ArgumentParser) -> None:
    add_env_argument(p)
    p.add_argument("--out", required=True, help="init/library.json")


def _init_main(args: argparse.Namespace) -> int:
    init_library(args.env, args.out)
    return 0


def _start_from_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--source", required=True, help="the tree to copy the first slots from")
    p.add_argument("--dest", required=True, help="this tree")
    p.add_argument("--up-to", type=int, required=True, help="copy skill_0 .. skill_{N-1}")


def _start_from_main(args: argparse.Namespace) -> int:
    doc = start_from(args.source, args.dest, args.up_to)
    print(f"copied {', '.join(doc['slots'])} from {doc['source']}")
    return 0


INIT = Stage("init", "write the empty library of a tree", _init_arguments, _init_main)
START_FROM = Stage(
    "start_from",
    "copy the first slots of another tree (config start_from)",
    _start_from_arguments,
    _start_from_main,
)
