"""`flowrl validate SKILL.py --env ENV [--json]`: exit 0 when valid, 1 with reasons."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from flowrl.cli_args import add_env


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("skill", nargs="*", type=Path, help="skill module(s) to check")
    add_env(parser, required=False)
    parser.add_argument("--n", type=int, default=1, help="target count bound to task_is_done's n")
    parser.add_argument("--timeout", type=float, default=120.0, help="sandbox time limit (s)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per file")
    parser.add_argument("--out", type=Path, help="also write the (last) result as JSON here")
    parser.add_argument(
        "--allowlist",
        action="store_true",
        help="print everything skill code of --env may name (functions, attributes, enum "
        "members, builtins) as JSON and exit",
    )


def run(args: argparse.Namespace) -> int:
    from flowrl.envs.games import get_game
    from flowrl.skills.allowlist import full_listing, game_rules
    from flowrl.skills.validator import ValidationResult, validate_many

    game = get_game(args.env)
    if args.allowlist:
        rules = game_rules(game)
        listing = {
            **full_listing(),
            "inventory fields": list(rules.inventory_fields),
            **{f"{enum} members": sorted(m) for enum, m in rules.enum_members.items()},
        }
        print(json.dumps(listing, indent=1))
        return 0
    paths: list[Path] = args.skill
    if not paths:
        print("give one or more skill files (or --allowlist)")
        return 2
    existing = [p for p in paths if p.is_file()]
    checked = dict(
        zip(
            existing,
            validate_many(
                [p.read_text() for p in existing], game, n=args.n, timeout_s=args.timeout
            ),
            strict=True,
        )
    )
    status = 0
    for path in paths:
        result = checked.get(path) or ValidationResult(
            ok=False, reasons=[f"File {path} does not exist."], stage="io"
        )
        payload = {"file": str(path), **result.to_json()}
        if args.json:
            print(json.dumps(payload))
        elif result.ok:
            print(f"{path}: valid ({', '.join(f'{k}={v}' for k, v in result.stats.items())})")
        else:
            print(f"{path}: INVALID\n{result.feedback()}")
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(json.dumps(payload, indent=2))
        status = status or (0 if result.ok else 1)
    return status
