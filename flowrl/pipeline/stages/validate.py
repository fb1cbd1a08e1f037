"""Rule file ``validate.smk``: sandboxed validation of ``skill.py`` with bounded LLM repair.

Always writes ``validation.json`` (ok, or the reasons) and the ``validated/`` folder;
``validated/skill.py`` exists only when the code is valid, so a rejected slot flows on to
``commit`` with the validator's reasons.
"""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic, write_text_atomic
from flowrl.envs.games import GameSpec, as_game
from flowrl.llm import chain
from flowrl.llm.query import Query
from flowrl.llm.settings import LLMSettings
from flowrl.pipeline.layout import SLOT_FILES
from flowrl.pipeline.stage_lines import validation_line
from flowrl.pipeline.stages import Stage
from flowrl.pipeline.stages.common import (
    add_env_argument,
    add_llm_arguments,
    llm_kwargs,
    query_for,
    usage_of,
)
from flowrl.pipeline.status import first_rejection, read_json, skipped


def validate(
    game: GameSpec | str,
    skill: str | Path,
    proposal: str | Path,
    slot_dir: str | Path,
    *,
    ledger: str | Path | None,
    llm_name: str | None = None,
    settings: LLMSettings | None = None,
    query: Query | None = None,
    validator: chain.Validator = chain.default_validator,
) -> dict[str, Any]:
    """``skill.py`` -> ``validation.json`` and, when valid, ``validated/skill.py``.

    Invalid code after the bounded repairs gives ``ok: false`` with the validator's reasons
    and no ``validated/skill.py``, so the commit step records the slot as rejected.
    """
    slot_dir = Path(slot_dir)
    out = slot_dir / SLOT_FILES["validation"]
    validated_dir = slot_dir / SLOT_FILES["validated_dir"]
    shutil.rmtree(validated_dir, ignore_errors=True)
    validated_dir.mkdir(parents=True)
    upstream = first_rejection(proposal, slot_dir / SLOT_FILES["code_status"])
    if upstream:
        doc = {"ok": False, "reasons": [upstream["reason"]], **skipped("validate", upstream)}
        write_json_atomic(out, doc)
        return doc
    q = query_for(llm_name, settings, query)
    name = read_json(proposal)["name"]
    source = Path(skill).read_text()
    result = chain.validate_with_repair(
        q, as_game(game), name, source, validate=validator, ledger=ledger
    )
    value = result.value
    report = {
        "ok": value["ok"],
        "skill": name,
        "reasons": value["reasons"],
        "repairs": len(value["rounds"]) - 1,
        "rounds": [
            {k: r[k] for k in ("ok", "reasons", "local_fixes") if k in r} for r in value["rounds"]
        ],
        "_llm": usage_of(result),
    }
    if value["ok"]:
        write_text_atomic(slot_dir / SLOT_FILES["validated"], value["source"])
    write_json_atomic(out, report)
    return report


def _arguments(p: argparse.ArgumentParser) -> None:
    add_env_argument(p)
    add_llm_arguments(p)
    p.add_argument("--skill", required=True, help="skill.py")
    p.add_argument("--proposal", required=True, help="proposal.json")
    p.add_argument("--slot-dir", required=True, help="skill_i (gets validation.json, validated/)")


def _main(args: argparse.Namespace) -> int:
    doc = validate(
        args.env,
        args.skill,
        args.proposal,
        args.slot_dir,
        **llm_kwargs(args),
    )
    print(validation_line(doc, args.ledger))
    return 0


STAGE = Stage(
    "validate", "skill.py -> validation.json (+ validated/skill.py), LLM repair", _arguments, _main
)
