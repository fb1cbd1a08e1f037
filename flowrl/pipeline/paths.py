"""Where a slot's files live: ``{tree}/skill_{i}/...`` (see DESIGN.md's data flow)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SlotPaths:
    dir: Path

    @classmethod
    def of(cls, tree: str | Path, i: int) -> SlotPaths:
        return cls(Path(tree) / f"skill_{i}")

    @property
    def index(self) -> int:
        return int(self.dir.name.rsplit("_", 1)[1])

    def __getattr__(self, name: str) -> Path:
        files = {
            "prompt": "prompt.json",
            "proposal": "proposal.json",
            "skill": "skill.py",
            "validation": "validation.json",
            "validated": "validated/skill.py",
            "plan": "plan.json",
            "plan_module": "plan_module.py",
            "train": "train.json",
            "metrics": "train_metrics.csv",
            "checkpoint": "checkpoint",
            "analysis": "analysis.json",
            "eval": "eval.json",
            "gif": "rollout.gif",
            "library": "library.json",
            "ledger": "llm_calls.jsonl",
        }
        if name in files:
            return self.dir / files[name]
        raise AttributeError(name)


def init_library(tree: str | Path) -> Path:
    return Path(tree) / "init" / "library.json"
