"""Slot stage ``plan``: the validated skill resolved into ordered steps over the library.

Writes ``plan.json`` (status, steps with counts and experts, and which checkpoint each
learned skill warm-starts from) and ``plan_module.py`` (the steps compiled for the trainer).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic, write_text_atomic
from flowrl.pipeline.status import OK, first_rejection, read_json, rejected, skipped

SPEC_KEYS = ("name", "description", "requirements", "consumption", "gain", "ephemeral")


def plan(
    env_name: str,
    library: str | Path,
    proposal: str | Path,
    validation: str | Path,
    out: str | Path,
    module: str | Path,
) -> dict[str, Any]:
    from flowrl.skills.library import Library, LibraryError
    from flowrl.skills.plan_cli import build_plan
    from flowrl.skills.plan_module import PlanStep, build_plan_module
    from flowrl.skills.resolver import ResolverError
    from flowrl.skills.spec import SpecError

    upstream = first_rejection(proposal, validation)
    if upstream:
        doc = skipped("plan", upstream)
        write_json_atomic(out, doc)
        write_text_atomic(module, f"# no plan: {upstream['stage']} rejected the slot\n")
        return doc
    spec = {k: v for k, v in read_json(proposal).items() if k in SPEC_KEYS}
    code = (Path(validation).parent / "validated" / "skill.py").read_text()
    lib = Library.load(library)
    try:
        if spec["name"] in lib:
            raise LibraryError(f"skill {spec['name']!r} is already in the library")
        doc = build_plan(env_name, lib, spec["name"], 1, spec, code)
        codes = doc.pop("_codes")
        steps = [
            PlanStep(s["skill"], codes[s["skill"]], s["count"], s["expert"]) for s in doc["steps"]
        ]
        source = build_plan_module(steps, env_name)
    except (ResolverError, LibraryError, SpecError, ValueError, KeyError) as exc:
        doc = rejected("plan", f"cannot plan {spec.get('name')!r}: {exc}")
        write_json_atomic(out, doc)
        write_text_atomic(module, f"# no plan: {doc['reason']}\n")
        return doc
    warm = {}
    for name in dict.fromkeys(s["skill"] for s in doc["steps"]):
        if name in lib and lib.get(name).metrics.get("checkpoint"):
            warm[name] = lib.get(name).metrics["checkpoint"]
    doc = {"status": OK, **doc, "skill": spec["name"], "warm_start": warm}
    write_text_atomic(module, source)
    write_json_atomic(out, doc)
    return doc
