"""The one summary a run prints when it ends: skills accepted and rejected (by stage, with the
first rejection's reason when none was accepted), LLM calls, repairs, retries, dollars, and
where the report is. The Snakefile's ``onsuccess``/``onerror`` print it; the drivers exit
non-zero when a finished run accepted no skill."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowrl.llm.ledger import format_cost, read_ledger, summarize
from flowrl.pipeline.layout import SLOT_FILES, TREE_FILES, slot_path
from flowrl.pipeline.status import read_json


@dataclass
class RunSummary:
    """What the slots of one run ended with (read from the files they wrote)."""

    tree: Path
    slots: list[int]
    committed: list[int] = field(default_factory=list)
    accepted: list[str] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    llm: dict[str, Any] = field(default_factory=dict)
    repairs: int = 0
    retries: int = 0

    @property
    def report(self) -> Path:
        return self.tree / Path(TREE_FILES["report_csv"]).parent

    @property
    def finished(self) -> bool:
        """Whether the run's last slot was committed (a dry run or a failed run was not)."""
        return bool(self.slots) and self.slots[-1] in self.committed

    @property
    def failed_all(self) -> bool:
        """A finished run that accepted no skill."""
        return self.finished and not self.accepted


def summarize_run(tree: str | Path, slots: Iterable[int]) -> RunSummary:
    """The summary of ``slots`` of ``tree`` (the slots this run computed)."""
    summary = RunSummary(Path(tree), sorted(slots))
    wanted = set(summary.slots)
    records: list[dict[str, Any]] = []
    library: dict[str, Any] | None = None
    for i in summary.slots:
        slot = Path(slot_path(tree, i))
        if (slot / SLOT_FILES["library"]).is_file():
            summary.committed.append(i)
            library = read_json(slot / SLOT_FILES["library"])
        for ledger in sorted(slot.glob(f"**/{SLOT_FILES['ledger']}")):
            records += list(read_ledger(ledger))
        validation = slot / SLOT_FILES["validation"]
        if validation.is_file():
            summary.repairs += int(read_json(validation).get("repairs") or 0)
    if library is not None:  # the library after the last committed slot holds them all
        summary.accepted = [
            s["name"] for s in library.get("skills", []) if s.get("iteration") in wanted
        ]
        summary.rejected = [r for r in library.get("rejected", []) if r.get("iteration") in wanted]
    summary.llm = summarize(records)
    summary.retries = sum(max(0, int(r.get("attempts") or 1) - 1) for r in records)
    return summary


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def format_summary(s: RunSummary) -> str:
    """A few lines for the console."""
    by_stage = Counter(str(r.get("stage") or "?") for r in s.rejected)
    stages = ", ".join(f"{n} at {stage}" for stage, n in by_stage.items())
    lines = [
        f"flowrl run summary ({s.tree}): {_plural(len(s.slots), 'slot')}, "
        f"{len(s.accepted)} accepted, {len(s.rejected)} rejected"
        + (f" ({stages})" if stages else "")
    ]
    if s.accepted:
        lines.append(f"  accepted: {', '.join(s.accepted)}")
    if not s.finished:
        lines.append(
            f"  slots committed: {len(s.committed)} of {len(s.slots)} (the run did not finish)"
        )
    if s.failed_all:
        first = s.rejected[0] if s.rejected else {}
        reason = "; ".join(first.get("reasons") or []) or "?"
        lines.append(
            f"  NO SKILL WAS ACCEPTED. First rejection: slot {first.get('iteration')} "
            f"{first.get('name')!r} at {first.get('stage', '?')}: {reason}. "
            "See docs/troubleshooting.md."
        )
    calls = s.llm.get("calls", 0)
    lines.append(
        f"  LLM: {_plural(calls, 'call')}, {format_cost(s.llm.get('cost_usd'))}, "
        f"{_plural(s.repairs, 'repair round')}, {s.retries} retr{'y' if s.retries == 1 else 'ies'}"
        + (f", {_plural(s.llm['errors'], 'failed call')}" if s.llm.get("errors") else "")
    )
    lines.append(f"  report: {s.report}")
    return "\n".join(lines)


def print_run_summary(tree: str | Path, slots: Iterable[int]) -> None:
    """Print the summary on stderr (the Snakefile's onsuccess/onerror); never raises, so a
    summary cannot hide the run's own outcome."""
    import sys

    try:
        print("\n" + format_summary(summarize_run(tree, slots)), file=sys.stderr, flush=True)
    except Exception as exc:
        print(f"flowrl: no run summary ({type(exc).__name__}: {exc})", file=sys.stderr)


def driver_summary(
    overrides: Mapping[str, Any], configfiles: Sequence[str | Path] = ()
) -> RunSummary:
    """The summary of the run a driver just made with these config keys."""
    from flowrl.pipeline.config import REPO_ROOT, load_config, tree_dir
    from flowrl.pipeline.layout import Rounds

    config = load_config(dict(overrides), list(configfiles))
    return summarize_run(REPO_ROOT / tree_dir(config), Rounds.from_config(config).run)


def driver_exit_code(ok: bool, summary: RunSummary) -> int:
    """0 when the run succeeded and accepted a skill; 1 when it failed or accepted none."""
    if not ok:
        return 1
    if summary.failed_all:
        print(
            f"exit 1: the run finished but accepted no skill of {len(summary.slots)} "
            "(see the summary above and docs/troubleshooting.md)"
        )
        return 1
    return 0
