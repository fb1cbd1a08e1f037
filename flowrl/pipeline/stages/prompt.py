"""Rule file ``prompt.smk``: ``prompt.json``, the propose messages of slot ``i`` (no LLM).

The library after the previous round, plus the skills proposed before ``i`` in the same
round (so parallel siblings differ).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from flowrl.atomic_io import write_json_atomic
from flowrl.envs.games import GameSpec, as_game
from flowrl.llm import chain
from flowrl.llm.types import Message
from flowrl.pipeline.stages import Stage
from flowrl.pipeline.stages.common import add_env_argument, read_optional_json
from flowrl.pipeline.status import read_json


def sibling_names(proposals: list[str | Path]) -> list[str]:
    """Names of the siblings' proposals (rejected proposals name nothing)."""
    names = []
    for path in proposals:
        doc = read_json(path)
        if doc.get("name") and doc.get("status") is None:
            names.append(str(doc["name"]))
    return names


def prompt(
    game: GameSpec | str,
    library: str | Path | None,
    out: str | Path,
    siblings: list[str] | None = None,
) -> list[Message]:
    """Library state -> ``prompt.json`` (``{"env_name", "messages"}``).

    ``siblings`` names the skills already proposed in the same parallel round."""
    game = as_game(game)
    messages = chain.build_prompt(game, read_optional_json(library), siblings or None)
    write_json_atomic(out, {"env_name": game.env_name, "messages": messages})
    return messages


def _arguments(p: argparse.ArgumentParser) -> None:
    add_env_argument(p)
    p.add_argument("--library", required=True, help="library.json before this round")
    p.add_argument("--siblings", nargs="*", default=[], help="proposal.json of earlier siblings")
    p.add_argument("--out", required=True, help="prompt.json")


def _main(args: argparse.Namespace) -> int:
    prompt(args.env, args.library, args.out, sibling_names(args.siblings))
    return 0


STAGE = Stage("prompt", "library -> prompt.json (no LLM)", _arguments, _main)
