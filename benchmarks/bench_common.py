"""Helpers shared by the benchmark scripts: blocked timing, the machine, JSON output.

Every figure a benchmark prints is measured in the process that prints it; ratios divide
two figures of the same run. ``machine()`` records what the numbers were measured on,
including the load average (other processes on a shared machine slow every case alike,
so same-run ratios hold where absolute numbers drift).
"""

from __future__ import annotations

import json
import math
import os
import platform
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import jax

ROOT = Path(__file__).resolve().parent.parent
SKILL = ROOT / "tests" / "skills" / "collect_wood.py"
RESULTS = ROOT / "benchmarks" / "results"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine() -> dict[str, Any]:
    """What the run measures on: device, CPU, cores, load average now, versions."""
    device = jax.devices()[0]
    return {
        "platform": device.platform,
        "device": getattr(device, "device_kind", str(device)),
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "jax": jax.__version__,
        "utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def describe(m: dict[str, Any]) -> str:
    load = ", ".join(f"{x:.2f}" for x in m["loadavg"])
    return f"{m['platform']} {m['device']}; {m['cpu']}, {m['cores']} cores, load avg {load}"


def blocked(fn, *args) -> tuple[Any, float]:
    """``fn(*args)`` with every output ready, and its wall time in seconds."""
    t = time.perf_counter()
    out = jax.block_until_ready(fn(*args))
    return out, time.perf_counter() - t


def best_of(timers: Sequence[Callable[[int], float]], repeats: int) -> list[float]:
    """The best seconds of each timer over ``repeats`` rounds (at least one). A timer runs
    its case once and returns its seconds; round ``r`` passes it the seed ``r + 1``. The
    timers take turns within a round (round-robin), so a change of machine load during the
    run hits every case alike."""
    best = [math.inf] * len(timers)
    for rep in range(max(1, repeats)):
        for i, timer in enumerate(timers):
            best[i] = min(best[i], timer(rep + 1))
    return best


def write_json(path: str | Path | None, data: dict[str, Any]) -> None:
    if path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=1, default=float) + "\n")
        print(f"# wrote {path}")


def kb_plan(game: Any, skill: str) -> Any:
    """``skill``'s plan over the knowledge base of ``game`` (a GameSpec; a
    :class:`LibraryPlan`, its experts numbered 0..k-1 in plan order)."""
    from flowrl.skills.library import kb_library
    from flowrl.skills.planner import plan_skill

    return plan_skill(game, kb_library(game), skill)
