"""The slot layout, in one place: where a tree's files live and which slots run when.

The Snakefile (``workflow/rules/common.smk``) and the Python stages both name files through
this module, so the layout is written once (see DESIGN.md's data flow):

    {tree}/init/library.json          the empty library (or the one of the start_from tree)
    {tree}/start_from.json            start_from: where the first slots came from
    {tree}/skill_{i}/prompt.json ...  one folder per skill slot (SLOT_FILES)
    {tree}/skill_{i}/seeds/seed_{s}/  train + evaluate of the extra seeds (SEED_FILES)
    {tree}/skill_{i}/candidates/c{c}/ candidate reward codes (CANDIDATE_FILES, candidates > 1)
    {tree}/report/skills.csv ...      the per-tree report
    {results}/{env}/baseline_ppo/frames_{F}/seed_{s}/   the plain-PPO baseline (BASELINE_FILES)

The first of ``seeds`` keeps the slot's own paths (train.json, checkpoint/, eval.json): it
drives the commit, the library and warm starts. Every further seed ``s`` trains and
evaluates the same plan module under ``skill_{i}/seeds/seed_{s}/`` (no LLM call).

Slot arithmetic (:class:`Rounds`): rounds of ``K`` parallel slots after ``first`` copied
ones. Slots ``0..first-1`` come from ``start_from`` (or already exist in the tree); slots
``first..max_nodes-1`` run in rounds of ``K = max_parallel_skills``. Every slot of a round
prompts from the library after the previous round (the ``library.json`` of that round's
last slot, or ``init/library.json``); the round's last slot holds the merged commit.
K = 1 makes every slot its own round.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SLOT_PREFIX = "skill_"

# key -> path inside skill_{i}/. Every file a slot rule writes is named here.
SLOT_FILES: dict[str, str] = {
    "prompt": "prompt.json",
    "proposal": "proposal.json",
    "skill": "skill.py",
    "code_status": "code.json",
    "reward_plan": "reward_plan.json",
    "validation": "validation.json",
    "validated_dir": "validated",
    "validated": "validated/skill.py",
    "plan": "plan.json",
    "plan_module": "plan_module.py",
    "train": "train.json",
    "metrics": "train_metrics.csv",
    "checkpoint": "checkpoint",
    "rollout_text": "rollout.txt",
    "analysis": "analysis.json",
    "candidates": "candidates.json",
    "eval": "eval.json",
    "gif": "rollout.gif",
    "library": "library.json",
    "ledger": "llm_calls.jsonl",
    "logs": "logs",
    "benchmarks": "benchmarks",
}

# key -> path inside ``skill_{i}/candidates/c{c}/`` (``candidates: K`` > 1): each candidate
# reward code's own code, validation and probe training/evaluation. The names match
# SLOT_FILES so the slot stages run unchanged on a candidate folder; ``select`` copies the
# winner's code and validation to the slot's own paths.
CANDIDATES_DIR = "candidates"
CANDIDATE_PREFIX = "c"
CANDIDATE_FILES: dict[str, str] = {
    key: SLOT_FILES[key]
    for key in (
        "skill",
        "code_status",
        "reward_plan",
        "validation",
        "validated_dir",
        "validated",
        "plan",
        "plan_module",
        "train",
        "metrics",
        "checkpoint",
        "eval",
        "ledger",
        "logs",
        "benchmarks",
    )
}

# key -> path inside the tree, outside the slots.
TREE_FILES: dict[str, str] = {
    "init_library": "init/library.json",
    "start_from": "start_from.json",
    "llm_cache": ".llm_cache",
    "report_csv": "report/skills.csv",
    "report_md": "report/skills.md",
    "report_curves": "report/curves.png",
    "achievements_csv": "report/achievements.csv",
    "achievements_md": "report/achievements.md",
    "achievements_plot": "report/achievements.png",
    "logs": "logs",
}

# What trees started before the rename call their start_from record (it was the rule
# ``seed``): read when ``start_from.json`` is missing, never written.
LEGACY_START_FROM = "seed.json"

# key -> path inside ``skill_{i}/seeds/seed_{s}/``: what an extra seed's train + evaluate write.
SEED_FILES: dict[str, str] = {
    key: SLOT_FILES[key] for key in ("train", "metrics", "checkpoint", "eval", "logs", "benchmarks")
}

BASELINE_TREE = "baseline_ppo"
# key -> path inside ``{results_dir}/{env}/baseline_ppo/frames_{F}/seed_{s}/``
BASELINE_FILES: dict[str, str] = {
    "train": "train.json",
    "metrics": "train_metrics.csv",
    "checkpoint": "checkpoint",
    "eval": "eval.json",
    "logs": "logs",
}

# files of ``{results_dir}/{env_name}/comparison/`` (beside the trees of one game)
COMPARISON_FILES: dict[str, str] = {
    "csv": "comparison/models.csv",
    "md": "comparison/models.md",
    "plot": "comparison/models.png",
}


def slot_name(i: int | str) -> str:
    """``skill_{i}`` (``i`` may be a Snakemake wildcard such as ``"{i}"``)."""
    return f"{SLOT_PREFIX}{i}"


def slot_path(tree: str | Path, i: int | str, key: str = "") -> str:
    """Path of slot ``i``'s file ``key`` (a :data:`SLOT_FILES` key), or its folder."""
    folder = f"{str(tree).rstrip('/')}/{slot_name(i)}"
    return f"{folder}/{SLOT_FILES[key]}" if key else folder


def candidate_path(tree: str | Path, i: int | str, c: int | str, key: str = "") -> str:
    """Path of candidate ``c``'s file ``key`` (a :data:`CANDIDATE_FILES` key) in slot ``i``,
    or its folder (``c`` may be a Snakemake wildcard such as ``"{c}"``)."""
    folder = f"{slot_path(tree, i)}/{CANDIDATES_DIR}/{CANDIDATE_PREFIX}{c}"
    return f"{folder}/{CANDIDATE_FILES[key]}" if key else folder


def candidate_dirs(slot_dir: str | Path, k: int) -> list[Path]:
    """The folders of a slot's ``k`` candidates, in order."""
    return [Path(slot_dir) / CANDIDATES_DIR / f"{CANDIDATE_PREFIX}{c}" for c in range(k)]


def tree_path(tree: str | Path, key: str) -> str:
    """Path of the tree-level file ``key`` (a :data:`TREE_FILES` key)."""
    return f"{str(tree).rstrip('/')}/{TREE_FILES[key]}"


def start_from_record(tree: str | Path) -> Path | None:
    """The tree's start_from record: ``start_from.json``, else the ``seed.json`` of a tree
    started before the rename; None when the tree copied no slots from another."""
    for name in (TREE_FILES["start_from"], LEGACY_START_FROM):
        path = Path(tree) / name
        if path.is_file():
            return path
    return None


def seed_path(tree: str | Path, i: int | str, seed: int | str, key: str = "") -> str:
    """Path of extra seed ``seed``'s file ``key`` (a :data:`SEED_FILES` key) in slot ``i``
    (``i`` and ``seed`` may be Snakemake wildcards such as ``"{s}"``)."""
    folder = f"{slot_path(tree, i)}/seeds/seed_{seed}"
    return f"{folder}/{SEED_FILES[key]}" if key else folder


def baseline_root(env_root: str | Path) -> str:
    """``{results_dir}/{env}/baseline_ppo``: the baselines of one game, beside its trees."""
    return f"{str(env_root).rstrip('/')}/{BASELINE_TREE}"


def baseline_path(env_root: str | Path, frames: int | str, seed: int | str, key: str = "") -> str:
    """Path of the baseline file ``key`` (a :data:`BASELINE_FILES` key) trained for
    ``frames`` frames with ``seed`` (both may be wildcards)."""
    folder = f"{baseline_root(env_root)}/frames_{frames}/seed_{seed}"
    return f"{folder}/{BASELINE_FILES[key]}" if key else folder


def comparison_path(tree: str | Path, key: str) -> str:
    """Path of the cross-model comparison file ``key`` next to ``tree``."""
    return f"{Path(tree).parent}/{COMPARISON_FILES[key]}"


def init_library(tree: str | Path) -> Path:
    return Path(tree_path(tree, "init_library"))


@dataclass(frozen=True)
class SlotPaths:
    """The files of one slot folder, as attributes named by the :data:`SLOT_FILES` keys."""

    dir: Path

    @classmethod
    def of(cls, tree: str | Path, i: int) -> SlotPaths:
        return cls(Path(slot_path(tree, i)))

    @property
    def index(self) -> int:
        return int(self.dir.name.rsplit("_", 1)[1])

    def __getattr__(self, name: str) -> Path:
        if name in SLOT_FILES:
            return self.dir / SLOT_FILES[name]
        raise AttributeError(name)


@dataclass(frozen=True)
class Rounds:
    """Which slots a run computes and how they group into rounds."""

    max_nodes: int
    k: int = 1
    first: int = 0

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Rounds:
        start = config.get("start_from") or {}
        return cls(
            int(config["max_nodes"]),
            int(config.get("max_parallel_skills") or 1),
            int(start.get("up_to", 0)),
        )

    def __post_init__(self) -> None:
        if self.k < 1 or self.max_nodes < 1 or not 0 <= self.first < self.max_nodes:
            raise ValueError(f"bad slots: {self}")

    @property
    def run(self) -> range:
        """Slots this run computes."""
        return range(self.first, self.max_nodes)

    def round_of(self, i: int) -> int:
        self._check(i)
        return (i - self.first) // self.k

    def round_slots(self, r: int) -> list[int]:
        start = self.first + r * self.k
        return list(range(start, min(start + self.k, self.max_nodes)))

    @property
    def num_rounds(self) -> int:
        return -(-(self.max_nodes - self.first) // self.k)

    def round_start(self, i: int) -> int:
        return self.round_slots(self.round_of(i))[0]

    def siblings_before(self, i: int) -> list[int]:
        """Slots of ``i``'s round proposed before ``i`` (``i`` is told their proposals)."""
        return list(range(self.round_start(i), i))

    def round_members(self, i: int) -> list[int]:
        return self.round_slots(self.round_of(i))

    def previous_library_slot(self, i: int) -> int | None:
        """Slot whose ``library.json`` ``i`` starts from (None: ``init/library.json``)."""
        start = self.round_start(i)
        return start - 1 if start > 0 else None

    def is_commit_slot(self, i: int) -> bool:
        """Does slot ``i`` hold its round's commit (``library.json``)?"""
        return i == self.round_members(i)[-1]

    @property
    def commit_slots(self) -> list[int]:
        return [self.round_slots(r)[-1] for r in range(self.num_rounds)]

    @property
    def last(self) -> int:
        return self.max_nodes - 1

    def _check(self, i: int) -> None:
        if not self.first <= i < self.max_nodes:
            raise ValueError(f"slot {i} is outside {self.first}..{self.max_nodes - 1}")
