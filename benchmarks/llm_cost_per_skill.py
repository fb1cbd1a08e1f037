"""Dollars and tokens per accepted skill, before and after a change, measured by the ledger.

    .venv/bin/python benchmarks/llm_cost_per_skill.py [--skills 4] [--billing both] [--table]

The real client runs the real chain (propose -> code -> validate, with the real validator
and LLM repair) for ``--skills`` skill slots of Craftax-Classic against a loopback server
that bills like a reasoning model (``tests/llm_server.py: ReasoningBiller``: reasoning tokens
by task and ``reasoning_effort``, a merged call billed the sum of its tasks, automatic
caching of 1024+ token prompt prefixes, the completion budget binding as in the API). The
server answers what each prompt asks from the knowledge base, with a typical bug planted in
each skill's first code answer (an import, refused by the validator, so one repair per
skill whatever the prompt says), one 429 and one 500.

"before" is flowrl as of ``--before-rev`` (exported with ``git archive``, run in a subprocess),
"after" is this checkout; both talk to the same server in the same run. ``--billing flat``
bills reasoning as at ``medium`` whatever ``reasoning_effort`` says (the worst case).
``--table`` adds rows by model and effort. Costs use flowrl/resources/pricing.yaml (gpt-5:
$1.25 / $0.125 cached / $10 per 1M tokens).
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
ENV = "Craftax-Classic-Symbolic-v1"
BEFORE_REV = "1bd0ac7"
"""The last commit before issue #26's cost changes (merged calls, edit repairs, rules up front);
``f0805fa`` is the one before issue #14's."""
BUGS = {
    "import": "an `import jax` line (refused; flowrl now removes it without a model)",
    "name": "`np.` for the first `jnp.` (refused; only a model can repair it)",
}
"""The bug planted in each skill's first code answer, by ``--bug``."""


def plant(bug: str, answer: str) -> str:
    """``answer`` with ``bug`` planted in its ```python block."""
    head, fence, code = answer.partition("```python\n")
    if bug == "import":
        return head + fence + "import jax\n" + code
    return head + fence + code.replace("jnp.", "np.", 1)


# -- the client, run under either version of flowrl ---------------------------------------
def client(skills: int, model: str, ledger: str) -> None:
    """Discover ``skills`` skills with ``model``; print JSON {accepted, repairs, names, flowrl}."""
    import flowrl
    from flowrl.llm import chain, get_query

    try:  # this flowrl passes the game's GameSpec inward; earlier ones took its name
        from flowrl.envs.games import as_game

        game: Any = as_game(ENV)
    except ImportError:
        game = ENV
    query = get_query(model, ledger=ledger)
    library = chain.empty_library(game)
    accepted, repairs, names = 0, 0, []
    for i in range(skills):
        proposal = chain.propose(query, game, chain.build_prompt(game, library), library)
        spec = proposal.value
        code = chain.write_code(query, game, spec, library)
        checked = chain.validate_with_repair(query, game, spec["name"], code.value["source"])
        verdict = checked.value
        repairs += len(verdict["rounds"]) - 1
        names.append(spec["name"])
        print(f"skill {i}: {spec['name']}: ok={verdict['ok']} rounds={len(verdict['rounds'])}")
        if verdict["ok"]:
            accepted += 1
            library["skills"].append(
                {
                    "name": spec["name"],
                    "spec": spec,
                    "code": verdict["source"],
                    "expert": 0,
                    "iteration": i,
                }
            )
    print(
        json.dumps(
            {"accepted": accepted, "repairs": repairs, "names": names, "flowrl": flowrl.__file__}
        )
    )


# -- the server's answers -----------------------------------------------------------------
class ChainAnswers:
    """Answers chain prompts from the knowledge base, in the format each prompt asks for
    (the offline provider's answers); each skill's first code answer carries ``bug``
    (refused by the validator), so every skill's first answer is refused."""

    def __init__(self, bug: str = "import") -> None:
        self.bug = bug
        from flowrl.llm.offline import OfflineProvider

        self.offline = OfflineProvider()
        self.coded: set[str] = set()

    def __call__(self, request: dict[str, Any]) -> str:
        from flowrl.llm.prompts import context_of, parse_tag

        messages = request["messages"]
        text = self.offline.answer(messages)
        tagged = parse_tag(messages)
        if tagged and tagged[0] in ("code", "reward_code"):
            name = (context_of(messages).get("spec") or {}).get("name", "")
            if name not in self.coded:
                self.coded.add(name)
                text = plant(self.bug, text)
        return text


# -- one measured case --------------------------------------------------------------------
def export_rev(rev: str, into: Path) -> Path:
    """The ``flowrl`` package as of ``rev``, extracted under ``into``."""
    data = subprocess.run(
        ["git", "-C", str(REPO), "archive", rev, "flowrl"], capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=BytesIO(data)) as tar:
        tar.extractall(into, filter="data")
    return into


def measure(
    label: str,
    model: str,
    effort: str | None,
    skills: int,
    code_root: Path,
    work: Path,
    flat: bool = False,
    bug: str = "import",
    merged: str = "sum",
) -> dict[str, Any]:
    """Run the client once against a fresh billing server; totals from its ledger."""
    sys.path.insert(0, str(REPO))
    from flowrl.llm.ledger import read_ledger, summarize
    from tests.llm_server import API_KEY, FakeOpenAI, ReasoningBiller, error

    work.mkdir(parents=True, exist_ok=True)
    ledger = work / "llm_calls.jsonl"
    llm_config = {"cache_enabled": False, "retry": {"base_delay_s": 0.2, "jitter": 0.0}}
    if effort != "default":
        llm_config["reasoning_effort"] = effort
    (work / "llm.yaml").write_text(json.dumps({"llm": llm_config}))
    faults = {0: error(429, "Rate limit reached"), 3: error(500, "The server had an error")}
    with FakeOpenAI(models=(model,)) as server:
        server.default = ReasoningBiller(
            ChainAnswers(bug), faults, effort_independent=flat, merged=merged
        )
        env = {
            **os.environ,
            "OPENAI_API_KEY": API_KEY,
            "OPENAI_BASE_URL": server.base_url,
            "FLOWRL_LLM_CONFIG": str(work / "llm.yaml"),
            "PYTHONPATH": str(code_root),
            "JAX_PLATFORMS": "cpu",
        }
        env.pop("PYTHONSAFEPATH", None)
        cmd = [sys.executable, __file__, "--client", "--skills", str(skills), "--model", model]
        proc = subprocess.run(
            [*cmd, "--ledger", str(ledger)],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
    if proc.returncode != 0:
        raise SystemExit(f"{label}: client failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert Path(result["flowrl"]).is_relative_to(code_root), result  # the intended version ran
    records = list(read_ledger(ledger))  # failed calls too: the ledger is the bill
    total = summarize(records)
    billed = server.bill()
    assert all(total[k] == v for k, v in billed.items()), (total, billed)
    n = max(1, result["accepted"])
    return {
        "case": label
        + (" (flat reasoning)" if flat else "")
        + (" (what-if: merged calls reason as their larger task)" if merged == "max" else ""),
        "bug": bug,
        "model": model,
        "effort": effort,
        "slots": skills,
        "accepted": result["accepted"],
        "repairs": result["repairs"],
        "names": result["names"],
        "calls": total["calls"],
        "prompt": total["prompt_tokens"] / n,
        "cached": total["cached_prompt_tokens"] / n,
        "completion": total["completion_tokens"] / n,
        "reasoning": total["reasoning_tokens"] / n,
        "usd": (total["cost_usd"] or 0.0) / n,
        "retries": sum(int(r.get("attempts") or 1) - 1 for r in records),
    }


def print_rows(rows: list[dict[str, Any]]) -> None:
    head = (
        "| case | model | reasoning_effort | bug | accepted / slots | repairs / slot | billed calls | "
        "prompt tok/skill | cached | completion tok/skill | reasoning | $/skill |"
    )
    print(head)
    print("|" + "---|" * 12)
    from flowrl.llm.providers import accepts_reasoning_effort

    for r in rows:
        effort = r["effort"] if r["effort"] != "default" else "(that version's default)"
        if not accepts_reasoning_effort(r["model"]):
            effort += " (not sent)"
        print(
            f"| {r['case']} | {r['model']} | {effort} | {r['bug']} | "
            f"{r['accepted']} / {r['slots']} | "
            f"{r['repairs'] / r['slots']:.2f} | {r['calls']} | "
            f"{r['prompt']:,.0f} | {r['cached']:,.0f} | {r['completion']:,.0f} | "
            f"{r['reasoning']:,.0f} | ${r['usd']:.4f} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skills", type=int, default=4, help="skill slots per case")
    parser.add_argument("--before-rev", default=BEFORE_REV)
    parser.add_argument("--table", action="store_true", help="also by model and effort")
    parser.add_argument(
        "--billing",
        choices=("effort", "flat", "both"),
        default="effort",
        help="reasoning tokens scale with reasoning_effort (effort), or not (flat: the worst case)",
    )
    parser.add_argument(
        "--bug",
        choices=(*BUGS, "both"),
        default="import",
        help="the bug planted in each first code answer: "
        + "; ".join(f"{k}: {v}" for k, v in BUGS.items()),
    )
    parser.add_argument(
        "--merged-reasoning",
        choices=("sum", "max"),
        default="sum",
        help="bill a merged call its tasks' reasoning summed (credited) or only its larger "
        "task's (a what-if no simulation can justify; a real model must show it)",
    )
    parser.add_argument("--no-before", action="store_true", help="skip the --before-rev case")
    parser.add_argument("--client", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", default="gpt-5", help=argparse.SUPPRESS)
    parser.add_argument("--ledger", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        client(args.skills, args.model, args.ledger)
        return
    with tempfile.TemporaryDirectory(prefix="flowrl-cost-") as tmp:
        root = Path(tmp)
        before = export_rev(args.before_rev, root / "before")
        cases = (
            [] if args.no_before else [(f"before ({args.before_rev})", before, "gpt-5", "default")]
        )
        cases.append(("after", REPO, "gpt-5", "low"))
        if args.table:
            cases += [("after", REPO, "gpt-5", effort) for effort in ("minimal", "medium", "high")]
            cases += [
                ("after", REPO, "gpt-5-mini", "low"),
                ("after", REPO, "o4-mini", "low"),
                ("after", REPO, "gpt-4o", "low"),
            ]
        flats = {"effort": [False], "flat": [True], "both": [False, True]}[args.billing]
        bugs = list(BUGS) if args.bug == "both" else [args.bug]
        cases = [(*case, flat, bug) for bug in bugs for flat in flats for case in cases]
        rows = []
        for k, (label, code_root, model, effort, flat, bug) in enumerate(cases):
            billing = "flat reasoning" if flat else "reasoning by effort"
            print(
                f"[{k + 1}/{len(cases)}] {label}: {model}, effort {effort}, {billing}, bug {bug}",
                flush=True,
            )
            rows.append(
                measure(
                    label,
                    model,
                    effort,
                    args.skills,
                    code_root,
                    root / f"c{k}",
                    flat,
                    bug,
                    args.merged_reasoning,
                )
            )
        print("\nskills: " + "; ".join(f"{r['case']}: {', '.join(r['names'])}" for r in rows[:2]))
        print_rows(rows)
        if args.no_before:
            return
        for b, a in itertools.pairwise(rows):
            if not (b["case"].startswith("before") and a["case"].startswith("after")):
                continue
            if a["names"] != b["names"]:
                print(f"\nWARNING: not like for like: {b['names']} vs {a['names']}")
            print(
                f"\n{a['case']}: $ per accepted skill: {b['usd']:.4f} -> {a['usd']:.4f} "
                f"({a['usd'] / b['usd']:.2f}x); tokens per accepted skill: "
                f"{b['prompt'] + b['completion']:,.0f} -> {a['prompt'] + a['completion']:,.0f}"
            )


if __name__ == "__main__":
    main()
