"""Write the benchmark tables of docs/benchmarks.md from the benchmarks' JSON output.

Reads ``benchmarks/results/{trainer_throughput,scaling,gpu_suite}.json`` (a missing file
becomes "not measured") and replaces the text between the ``bench-table`` markers.
``--check`` exits 1 when the page is out of date instead of writing it.

    python benchmarks/benchmark_tables.py [--check]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
PAGE = ROOT / "docs" / "benchmarks.md"
START = "<!-- bench-table:start (written by benchmarks/benchmark_tables.py; do not edit) -->"
END = "<!-- bench-table:end -->"


def _load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def _machine(data: dict) -> str:
    m = data["machine"]
    after = data.get("loadavg_after")
    load = f"load avg {m['loadavg'][0]:.1f} before, {after[0]:.1f} after" if after else ""
    return f"{m['cpu']}, {m['cores']} cores, {m['platform']}, {m['utc'][:10]}, {load}"


# the reference PPO's row name; results written before the rename call it "baseline PPO"
REFERENCE_NAMES = ("reference PPO", "baseline PPO")


def _n(x: float) -> str:
    return f"{x:,.0f}"


def trainer_section(data: dict | None) -> list[str]:
    if data is None:
        return ["Trainer throughput: not measured."]
    s = data["settings"]
    table = data["table"]
    limit = next(r for r in table if r["name"].startswith("limit"))
    base = next(r for r in table if r["name"].startswith(REFERENCE_NAMES))
    lines = [
        f"**Trainer** (`trainer_throughput.py`; Craftax-Classic, {s['num_envs']} envs x "
        f"{s['num_steps']} steps, width {s['width']}, 4 epochs x 8 minibatches; "
        f"{_machine(data)}). Every ratio divides two figures of this one run; compile = "
        "time to the first result minus one steady call. Cases are timed round-robin; the "
        "whole `flowrl train` run comes after them, under its own load.",
        "",
        "| case | steps/s | x limit | x reference PPO | compile s | of which init s |",
        "|---|---|---|---|---|---|",
    ]
    for r in table:
        comp = f"{r['compile_s']:.1f}" if "compile_s" in r else ""
        init = f"{r['init_s']:.1f}" if "init_s" in r else ""
        lines.append(
            f"| {r['name']} | {_n(r['sps'])} | {r['sps'] / limit['sps']:.2f} | "
            f"{r['sps'] / base['sps']:.2f} | {comp} | {init} |"
        )
    p = data["profile"]
    parts, net = p["parts"], p["plain_network"]
    ms = 1e3
    lines += [
        "",
        f"Where one update of the trainer ({s['profile_experts']} experts, "
        f"{s['batch_size']:,} frames) goes, each part jitted and timed alone (ms):",
        "",
        "| part | trainer | plain network (limit) |",
        "|---|---|---|",
        f"| env step (skill code, features, resets) | {parts['env_s'] * ms:.0f} | "
        f"{parts['env_s'] * ms:.0f} |",
        f"| policy forward + sampling | {parts['policy_s'] * ms:.0f} | "
        f"{net['policy_s'] * ms:.0f} |",
        f"| values + GAE | {parts['values_gae_s'] * ms:.0f} | {net['values_gae_s'] * ms:.0f} |",
        f"| update epochs | {parts['update_s'] * ms:.0f} | {net['update_s'] * ms:.0f} |",
        f"| rollout as one jitted call (env + policy) | {parts['rollout_s'] * ms:.0f} | |",
    ]
    return lines


def scaling_section(data: dict | None) -> list[str]:
    if data is None:
        return ["Scaling with plan length and expert count: not measured."]
    s = data["settings"]
    lines = [
        f"**Cost as the work grows** (`scaling.py`, {s['num_envs']} envs, width {s['width']}; "
        f"{_machine(data)}; ratios to the first row, same run; plot "
        "`benchmarks/results/scaling.png`):",
        "",
        "| plan length (experts) | steps/s | ratio | compile s |",
        "|---|---|---|---|",
    ]
    for r in data["plan_length"]:
        lines.append(
            f"| {r['plan_length']} ({r['experts']}) | {_n(r['sps'])} | {r['ratio']:.2f} | "
            f"{r['compile_s']:.1f} |"
        )
    lines += ["", "| experts (1-step plan, round-robin) | steps/s | ratio | compile s |"]
    lines.append("|---|---|---|---|")
    for r in data["experts"]:
        lines.append(
            f"| {r['experts']} | {_n(r['sps'])} | {r['ratio']:.2f} | {r['compile_s']:.1f} |"
        )
    return lines


def gpu_section(data: dict | None) -> list[str]:
    quote = (
        "Published, another machine (quoted, never divided by): the Craftax paper reports "
        "405,618 steps/s (Craftax-Classic, 4096 envs, RTX 4090)."
    )
    if data is None or data.get("mode") != "full":
        return [f"**GPU** (`gpu_suite.sh`): not measured (no GPU was lent). {quote}"]
    lines = [f"**GPU** (`gpu_suite.sh`; {data['machine']['device']}, {data['machine']['utc']})"]
    lines += ["", "| case | steps/s | compile s |", "|---|---|---|"]
    reference = [data[k] for k in ("reference", "baseline") if k in data][:1]
    for r in data["env"] + data.get("trainer", []) + reference:
        lines.append(f"| {r['name']} | {_n(r['sps'])} | {r['compile_s']:.1f} |")
    pipe = data.get("pipeline")
    if pipe:
        lines += ["", f"One-slot offline pipeline: {pipe['status']} in {pipe['wall_s']:.0f} s."]
    return [*lines, "", quote]


def goals_section(trainer: dict | None, scaling: dict | None) -> list[str]:
    """The speed goals for a 2-core CPU, each a ratio of two figures of one run."""
    rows = []
    if trainer is not None:
        table = {r["name"]: r for r in trainer["table"]}
        pick = {k.split(" (")[0].split(",")[0]: r for k, r in table.items()}
        limit = pick["limit: env alone + plain network"]
        base = next(r for k, r in pick.items() if k.startswith(REFERENCE_NAMES))
        two = table.get("trainer, 2 experts")
        if two:
            rows.append(("trainer, 2 experts / limit", ">= 0.85", two["sps"] / limit["sps"]))
            rows.append(("trainer, 2 experts / reference PPO", ">= 1.5", two["sps"] / base["sps"]))
            rows.append(
                (
                    "trainer compile / reference PPO compile",
                    "<= 1.0",
                    two["compile_s"] / base["compile_s"],
                )
            )
    if scaling is not None:
        plan = {r["plan_length"]: r for r in scaling["plan_length"]}
        if 1 in plan and 12 in plan:
            rows.append(("12-step plan, 12 experts / 1-step", ">= 0.6", plan[12]["ratio"]))
    if not rows:
        return ["Speed goals: not measured."]
    lines = ["**Speed goals** (2-core CPU; same-run ratios from the tables above):", ""]
    lines += ["| goal | target | measured | holds |", "|---|---|---|---|"]
    for name, target, value in rows:
        ok = value >= float(target[3:]) if target.startswith(">=") else value <= float(target[3:])
        lines.append(f"| {name} | {target} | {value:.2f} | {'yes' if ok else 'no'} |")
    return lines


def render() -> str:
    trainer, scaling = _load("trainer_throughput"), _load("scaling")
    blocks = [
        trainer_section(trainer),
        scaling_section(scaling),
        goals_section(trainer, scaling),
        gpu_section(_load("gpu_suite")),
    ]
    return "\n\n".join("\n".join(b) for b in blocks)


def updated(text: str) -> str:
    head, sep, rest = text.partition(START)
    if not sep or END not in rest:
        raise SystemExit(f"{PAGE} lacks the markers {START!r} ... {END!r}")
    tail = rest.split(END, 1)[1]
    return f"{head}{START}\n{render()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the page is stale")
    args = parser.parse_args(argv)
    text = PAGE.read_text()
    new = updated(text)
    if args.check:
        if new != text:
            print(f"{PAGE} tables are stale: run python benchmarks/benchmark_tables.py")
            return 1
        return 0
    PAGE.write_text(new)
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
