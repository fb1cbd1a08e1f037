"""Validation time per skill: every knowledge-base skill of a game through the validator.

Times, with the wall clock (the sandbox blocks on its results, nothing is left in flight):

* the static allowlist check alone, per skill (no execution);
* one batch sandbox over all skills (what `flowrl validate a.py b.py ...` and the
  workflow do), per skill;
* a lone sandbox for one skill (start-up included: importing JAX dominates).

With ``--baseline_python`` the same measurement also runs, in the same run, under another
interpreter whose environment has another flowrl installed (e.g. a checkout of an earlier
commit with its own venv), and the ratios are printed.

    python benchmarks/validation_time.py --env Craftax-Classic-Symbolic-v1
    python benchmarks/validation_time.py --baseline_python ../old/.venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from typing import Any

import flowrl
from flowrl.skills import ast_check
from flowrl.skills.knowledge import kb_skills
from flowrl.skills.validator import validate_many, validate_source

try:  # this flowrl passes the game's GameSpec inward
    from flowrl.envs.games import as_game as game_of
except ImportError:  # earlier versions took the game's name everywhere
    game_of = str


def static_check(source: str, game: Any) -> list[str]:
    """The static check; earlier flowrl versions took the game's Signature instead."""
    try:
        return ast_check.check_source(source, game)
    except AttributeError:
        from flowrl.skills.contract import signature_for  # earlier flowrl only

        return ast_check.check_source(source, signature_for(game))


def measure(env_name: str, limit: int) -> dict[str, Any]:
    game = game_of(env_name)
    sources = [skill.code for skill in kb_skills(game)][: limit or None]
    static_check(sources[0], game)  # warm the allowlist tables
    start = time.perf_counter()
    static = [static_check(src, game) for src in sources]
    static_s = time.perf_counter() - start
    start = time.perf_counter()
    results = validate_many(sources, game)
    batch_s = time.perf_counter() - start
    start = time.perf_counter()
    lone = validate_source(sources[0], game)
    lone_s = time.perf_counter() - start
    return {
        "flowrl": os.path.dirname(flowrl.__file__),
        "skills": len(sources),
        "static_ms_per_skill": 1e3 * static_s / len(sources),
        "batch_s": batch_s,
        "batch_s_per_skill": batch_s / len(sources),
        "lone_s": lone_s,
        "refused": [r.reasons for r in results if not r.ok] + [r for r in static if r],
        "lone_ok": lone.ok,
    }


def show(label: str, m: dict[str, Any]) -> None:
    print(
        f"{label:9s} static {m['static_ms_per_skill']:.2f} ms/skill | batch sandbox "
        f"{m['batch_s']:.1f} s for {m['skills']} = {m['batch_s_per_skill']:.2f} s/skill | "
        f"lone sandbox {m['lone_s']:.1f} s | refused {len(m['refused'])}  ({m['flowrl']})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="Craftax-Classic-Symbolic-v1", help="game to check")
    parser.add_argument("--limit", type=int, default=0, help="check only the first N skills")
    parser.add_argument(
        "--baseline_python", help="interpreter of another flowrl install to compare against"
    )
    parser.add_argument("--json", action="store_true", help="print the measurement as JSON")
    args = parser.parse_args()

    current = measure(args.env, args.limit)
    if args.json:
        print(json.dumps(current))
        return
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"{args.env}: {current['skills']} knowledge-base skills")
    show("this", current)
    if args.baseline_python:
        cmd = [args.baseline_python, __file__, "--env", args.env, "--json"]
        cmd += ["--limit", str(args.limit)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd="/")
        base = json.loads(out.stdout.strip().splitlines()[-1])
        show("baseline", base)
        for key in ("static_ms_per_skill", "batch_s_per_skill", "lone_s"):
            print(f"  {key}: this / baseline = {current[key] / base[key]:.2f}")
    if current["refused"]:
        sys.exit(f"knowledge-base skills refused: {current['refused']}")


if __name__ == "__main__":
    main()
