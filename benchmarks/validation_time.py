"""Validation time per skill: every knowledge-base skill of a game through the sandbox.

Times three things in one run, each with the wall clock (the sandbox blocks on its
results, so nothing is left in flight):

* the static allowlist check alone, per skill (no execution);
* one batch sandbox over all skills (what `flowrl validate a.py b.py ...` and the
  workflow do), divided by the number of skills;
* a lone sandbox for the first skill (start-up included: importing JAX dominates).

    python benchmarks/validation_time.py --env Craftax-Classic-Symbolic-v1
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from flowrl.skills.ast_check import check_source
from flowrl.skills.contract import signature_for
from flowrl.skills.knowledge import kb_skills
from flowrl.skills.validator import validate_many, validate_source


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="Craftax-Classic-Symbolic-v1", help="game to check")
    parser.add_argument("--limit", type=int, default=0, help="check only the first N skills")
    args = parser.parse_args()

    sources = [skill.code for skill in kb_skills(args.env)]
    if args.limit:
        sources = sources[: args.limit]
    signature = signature_for(args.env)
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print(f"{args.env}: {len(sources)} knowledge-base skills with code")

    start = time.perf_counter()
    static_reasons = [check_source(src, signature) for src in sources]
    static_s = time.perf_counter() - start
    print(f"static check: {1e3 * static_s / len(sources):.2f} ms per skill")

    start = time.perf_counter()
    results = validate_many(sources, args.env)
    batch_s = time.perf_counter() - start
    bad = [r.reasons for r in results if not r.ok]
    print(
        f"batch sandbox: {batch_s:.1f} s for {len(sources)} skills = "
        f"{batch_s / len(sources):.2f} s per skill ({len(bad)} refused)"
    )
    start = time.perf_counter()
    lone = validate_source(sources[0], args.env)
    print(f"lone sandbox (start-up included): {time.perf_counter() - start:.1f} s (ok={lone.ok})")
    if bad or any(static_reasons):
        raise SystemExit(f"knowledge-base skills refused: {bad or static_reasons}")


if __name__ == "__main__":
    main()
