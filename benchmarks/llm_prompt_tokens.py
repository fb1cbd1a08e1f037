"""Prompt size per discovered skill on the real chain prompts (characters/4 tokens).

Runs the whole chain with the offline provider (it answers from the knowledge base, so the
library grows as in a real run) and reports, per skill slot, the prompt tokens of the
propose (skill and spec) and code (reward plan and module) calls, read back from the ledger.

    .venv/bin/python benchmarks/llm_prompt_tokens.py [--env Craftax-Classic-Symbolic-v1]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from flowrl.cli_args import add_env, spellings
from flowrl.envs.games import get_game
from flowrl.llm import chain, get_query, load_settings
from flowrl.llm.ledger import read_ledger
from flowrl.llm.offline import load_knowledge

PURPOSES = ("propose", "code")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_env(parser, required=False)
    parser.add_argument(*spellings("max_skills"), type=int, default=None)
    args = parser.parse_args()
    env = args.env
    game = get_game(env)
    query = get_query("offline", settings=load_settings(cache_enabled=False))
    total = len(load_knowledge(env).skills())
    n = min(total, args.max_skills or total)
    library = {"skills": [], "rejected": [], "frontier": [], "achievements": []}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            ledger = Path(tmp) / f"skill_{i}.jsonl"
            spec = chain.propose(
                query, game, chain.build_prompt(game, library), library, ledger=ledger
            )
            code = chain.write_code(query, game, spec.value, library, ledger=ledger)
            by = {r["purpose"]: r["prompt_size_tokens_est"] for r in read_ledger(ledger)}
            rows.append((spec.value["name"], *(by[p] for p in PURPOSES)))
            library["skills"].append(
                {
                    "name": spec.value["name"],
                    "spec": spec.value,
                    "code": code.value["source"],
                    "expert": 0,
                    "iteration": i,
                }
            )
    print(f"{env}: prompt tokens (chars/4) per skill, library growing from 0 to {n - 1} skills")
    print(f"{'slot':>4} {'skill':<26} {'propose':>7} {'code':>5} {'total':>6}")
    totals = []
    for i, (name, *vals) in enumerate(rows):
        totals.append(sum(vals))
        print(f"{i:>4} {name[:26]:<26} {vals[0]:>7} {vals[1]:>5} {sum(vals):>6}")
    print(
        f"total per skill: mean {statistics.mean(totals):.0f}, min {min(totals)}, "
        f"max {max(totals)}; all {n} skills: {sum(totals)} prompt tokens"
    )


if __name__ == "__main__":
    main()
