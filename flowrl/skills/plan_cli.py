"""`flowrl plan`: resolve a skill into ordered steps over the library.

    flowrl plan --env Craftax-Classic-Symbolic-v1 --library results/.../library.json \
        --skill "Collect Diamond" [--n 1] [--json] \
        [--proposal proposal.json --code validated/skill.py] \
        [--out plan.json] [--module plan_module.py]

``--library kb`` plans over the knowledge-base skills of the game. ``--proposal`` (with
``--code``) adds a not-yet-learned skill, as the pipeline's plan stage does. ``--out``
writes the plan as JSON; ``--module`` also compiles it into one plan module.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic
from flowrl.cli_args import add_env
from flowrl.envs.games import GameSpec, get_game
from flowrl.skills.library import Library, LibraryError, kb_library
from flowrl.skills.planner import plan_skill
from flowrl.skills.resolver import ResolverError, Step, format_plan
from flowrl.skills.spec import SpecError


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_env(parser)
    parser.add_argument(
        "--library", required=True, help="library.json, or 'kb' for the knowledge base"
    )
    parser.add_argument("--skill", required=True, help="name of the target skill")
    parser.add_argument("--n", type=int, default=1, help="how many times to run the target")
    parser.add_argument(
        "--proposal", help="spec JSON of a new skill to plan with (not yet learned)"
    )
    parser.add_argument("--code", help="code of the --proposal skill (needed for --module)")
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    parser.add_argument("--out", help="write the plan JSON here")
    parser.add_argument("--module", help="write the compiled plan module here")


def _load_library(game: GameSpec, ref: str) -> Any:
    if ref == "kb":
        return kb_library(game)
    lib = Library.load(ref)
    if lib.env_name != game.env_name:
        raise ValueError(f"{ref} is a library for {lib.env_name}, not {game.env_name}")
    return lib


def run(args: argparse.Namespace) -> int:
    try:
        game = get_game(args.env)
        library = _load_library(game, args.library)
        proposal = json.loads(Path(args.proposal).read_text()) if args.proposal else None
        code = Path(args.code).read_text() if args.code else None
        planned = plan_skill(game, library, args.skill, args.n, proposal, code)
    except (ResolverError, LibraryError, SpecError, ValueError, OSError) as exc:
        print(f"flowrl plan: {exc}", file=sys.stderr)
        return 1
    plan = planned.doc
    if args.out:
        write_json_atomic(args.out, plan)
    if args.module:
        if planned.missing_code:
            print(f"flowrl plan: no code for {', '.join(planned.missing_code)}", file=sys.stderr)
            return 1
        Path(args.module).write_text(planned.module_source())
    if args.json:
        print(json.dumps(plan, indent=2))
    else:
        steps = [Step(s["skill"], s["times"], s["count"]) for s in plan["steps"]]
        print(format_plan(steps, args.skill))
    return 0
