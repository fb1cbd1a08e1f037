"""Rule file ``plan.smk``: the validated skill resolved into ordered steps over the library.

Writes ``plan.json`` (status, steps with counts and experts, and which checkpoint each
learned skill warm-starts from) and ``plan_module.py`` (the steps compiled for the trainer).
A skill proposed again after training failed to reach the threshold resumes its latest
attempt's expert (``resumed`` in ``plan.json``) instead of starting from nothing.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic, write_text_atomic
from flowrl.envs.games import GameSpec, as_game
from flowrl.pipeline.layout import SLOT_FILES, slot_name
from flowrl.pipeline.stages import Stage
from flowrl.pipeline.stages.common import add_env_argument
from flowrl.pipeline.status import OK, first_rejection, read_json, rejected, skipped
from flowrl.skills.library import Library, LibraryError
from flowrl.skills.planner import plan_skill
from flowrl.skills.resolver import ResolverError
from flowrl.skills.spec import SpecError

SPEC_KEYS = ("name", "description", "requirements", "consumption", "gain", "ephemeral")


def resumed_attempt(lib: Library, name: str, tree: Path) -> dict[str, Any] | None:
    """The slot that got furthest among those that trained ``name`` and were rejected at
    ``train`` (below the threshold), when its checkpoint holds the skill's expert:
    ``{"slot", "checkpoint" (relative to the tree), "success_rate", "frames"}``; else None.

    Furthest = the highest success estimate, then the deepest mean step completion of its
    fresh episodes, then the latest: a retry goes on from the attempt that learned most,
    not from a later attempt that got nowhere."""
    found: list[tuple[tuple[float, float, int], dict[str, Any]]] = []
    for entry in lib.rejected:
        if entry.get("name") != name or entry.get("stage") != "train":
            continue
        rel = f"{slot_name(entry['iteration'])}/{SLOT_FILES['checkpoint']}"
        meta_path = tree / rel / "metadata.json"
        if not meta_path.is_file():
            continue
        meta = read_json(meta_path)
        if name not in (meta.get("skills") or {}):
            continue
        rate = meta.get("success_rate")
        steps = [c for c in meta.get("step_completion") or [] if c is not None]
        rank = (
            -1.0 if rate is None else float(rate),
            sum(steps) / len(steps) if steps else 0.0,
            int(entry["iteration"]),
        )
        found.append(
            (
                rank,
                {
                    "slot": entry["iteration"],
                    "checkpoint": rel,
                    "success_rate": rate,
                    "frames": (meta.get("frames_per_skill") or {}).get(name),
                },
            )
        )
    return max(found, key=lambda item: item[0])[1] if found else None


def plan(
    game: GameSpec | str,
    library: str | Path,
    proposal: str | Path,
    validation: str | Path,
    out: str | Path,
    module: str | Path,
    tree: str | Path | None = None,
) -> dict[str, Any]:
    """Plan the proposal over ``library``; ``tree`` (default: two folders above ``out``,
    as in ``skill_i/plan.json``) holds the earlier slots' checkpoints a retry resumes."""
    upstream = first_rejection(proposal, validation)
    if upstream:
        doc = skipped("plan", upstream)
        write_json_atomic(out, doc)
        write_text_atomic(module, f"# no plan: {upstream['stage']} rejected the slot\n")
        return doc
    spec = {k: v for k, v in read_json(proposal).items() if k in SPEC_KEYS}
    code = (Path(validation).parent / SLOT_FILES["validated"]).read_text()
    lib = Library.load(library)
    try:
        if spec["name"] in lib:
            raise LibraryError(f"skill {spec['name']!r} is already in the library")
        planned = plan_skill(as_game(game), lib, spec["name"], 1, spec, code)
        doc = planned.doc
        source = planned.module_source()
    except (ResolverError, LibraryError, SpecError, ValueError) as exc:  # unplannable
        doc = rejected("plan", f"cannot plan {spec.get('name')!r}: {exc}")
        write_json_atomic(out, doc)
        write_text_atomic(module, f"# no plan: {doc['reason']}\n")
        return doc
    warm = {}
    for name in dict.fromkeys(s["skill"] for s in [*doc["steps"], *doc["upkeep"]]):
        if name in lib and lib.get(name).metrics.get("checkpoint"):
            warm[name] = lib.get(name).metrics["checkpoint"]
    tree = Path(tree) if tree is not None else Path(out).resolve().parent.parent
    resumed = resumed_attempt(lib, spec["name"], tree)
    if resumed is not None:
        warm[spec["name"]] = resumed["checkpoint"]
    doc = {"status": OK, **doc, "skill": spec["name"], "warm_start": warm, "resumed": resumed}
    write_text_atomic(module, source)
    write_json_atomic(out, doc)
    return doc


def _arguments(p: argparse.ArgumentParser) -> None:
    add_env_argument(p)
    p.add_argument("--library", required=True, help="library.json before this round")
    p.add_argument("--proposal", required=True, help="proposal.json")
    p.add_argument("--validation", required=True, help="validation.json (validated/ beside it)")
    p.add_argument("--out", required=True, help="plan.json")
    p.add_argument("--module", required=True, help="plan_module.py")
    p.add_argument("--tree", default=None, help="tree root (default: two folders above --out)")


def _main(args: argparse.Namespace) -> int:
    doc = plan(
        args.env, args.library, args.proposal, args.validation, args.out, args.module, args.tree
    )
    print(f"plan: {doc.get('status')} {' -> '.join(st['skill'] for st in doc.get('steps', []))}")
    return 0


STAGE = Stage("plan", "validated skill + library -> plan.json, plan_module.py", _arguments, _main)
