"""Seed-compatible driver for parallel discovery: K skills proposed per round (each told its
siblings), trained as parallel jobs and merged in one commit.

    python -m flowrl.bottomup_parallel --llm_name gpt-4o-mini --max_nodes 3 \\
        --max_parallel_skills 2 --total_timesteps 5e7 --no-use_wandb --graph-path exp/par/

Same flags as :mod:`flowrl.bottomup` plus ``--max_parallel_skills``; same workflow.
"""

from __future__ import annotations

import sys

from flowrl.bottomup import main as _main


def main(argv: list[str] | None = None) -> int:
    return _main(argv, parallel=True)


if __name__ == "__main__":
    sys.exit(main())
