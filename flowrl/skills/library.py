"""The skill library (``library.json``): what has been learned so far in one run.

It records learned skills (spec, code, expert index, iteration, metrics, and the history
of spec corrections), rejected proposals with their reasons, the frontier (candidate
skills whose requirements are all provided by learned skills) and the achievements
unlocked. Files are checked against ``flowrl/resources/schemas/library.schema.json`` on
load and save, and written atomically (temporary file + rename).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic
from flowrl.envs.games import GameSpec
from flowrl.skills.knowledge import kb_skills, kb_specs, schema_errors
from flowrl.skills.spec import ACHIEVEMENT_PREFIX, SkillSpec, compute_frontier

SCHEMA_VERSION = 1


class LibraryError(ValueError):
    """A library file or update that breaks the library's rules."""


@dataclass
class LearnedSkill:
    """One accepted skill."""

    spec: SkillSpec
    code: str
    expert: int
    iteration: int
    metrics: dict[str, Any] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.spec.name

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "spec": self.spec.to_dict(),
            "code": self.code,
            "expert": self.expert,
            "iteration": self.iteration,
            "metrics": self.metrics,
            "history": self.history,
        }


@dataclass
class Library:
    """Library state after some iteration (``-1`` before the first skill)."""

    env_name: str
    iteration: int = -1
    skills: list[LearnedSkill] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    frontier: list[str] = field(default_factory=list)
    achievements: list[str] = field(default_factory=list)

    # --- queries --------------------------------------------------------------------
    def names(self) -> list[str]:
        return [s.name for s in self.skills]

    def get(self, name: str) -> LearnedSkill:
        for skill in self.skills:
            if skill.name == name:
                return skill
        raise KeyError(f"no learned skill {name!r}; learned: {', '.join(self.names()) or '(none)'}")

    def __contains__(self, name: object) -> bool:
        return any(s.name == name for s in self.skills)

    def specs(self) -> dict[str, SkillSpec]:
        """Name -> spec of the learned skills, in the order they were learned."""
        return {s.name: s.spec for s in self.skills}

    def next_expert(self) -> int:
        return max((s.expert for s in self.skills), default=-1) + 1

    # --- updates ---------------------------------------------------------------------
    def add_skill(
        self,
        spec: SkillSpec,
        code: str,
        iteration: int,
        expert: int | None = None,
        metrics: Mapping[str, Any] | None = None,
    ) -> LearnedSkill:
        """Accept a skill; its expert defaults to a fresh index."""
        if spec.name in self:
            raise LibraryError(f"skill {spec.name!r} is already in the library")
        skill = LearnedSkill(
            spec=spec,
            code=code,
            expert=self.next_expert() if expert is None else expert,
            iteration=iteration,
            metrics=dict(metrics or {}),
        )
        self.skills.append(skill)
        self.iteration = max(self.iteration, iteration)
        for key in spec.gain:
            if key.startswith(ACHIEVEMENT_PREFIX):
                self.add_achievements([key[len(ACHIEVEMENT_PREFIX) :]])
        return skill

    def reject(
        self,
        name: str,
        reasons: Iterable[str] | str,
        iteration: int,
        stage: str = "",
        proposal: Mapping[str, Any] | None = None,
    ) -> None:
        """Record a rejected proposal and why (the next prompt is told)."""
        reasons = [reasons] if isinstance(reasons, str) else list(reasons)
        if not reasons:
            raise LibraryError("a rejection needs at least one reason")
        entry: dict[str, Any] = {"name": name, "iteration": iteration, "reasons": reasons}
        if stage:
            entry["stage"] = stage
        if proposal is not None:
            entry["proposal"] = dict(proposal)
        self.rejected.append(entry)
        self.iteration = max(self.iteration, iteration)

    def update_spec(self, name: str, spec: SkillSpec, iteration: int, reason: str) -> None:
        """Replace a skill's spec, keeping the old one in its history."""
        skill = self.get(name)
        if spec.name != name:
            raise LibraryError(f"the new spec is named {spec.name!r}, not {name!r}")
        skill.history.append(
            {"spec": skill.spec.to_dict(), "iteration": iteration, "reason": reason}
        )
        skill.spec = spec

    def add_achievements(self, names: Iterable[str]) -> None:
        for name in names:
            if name not in self.achievements:
                self.achievements.append(name)

    def update_frontier(self, candidates: Mapping[str, SkillSpec]) -> list[str]:
        """Set and return the frontier among ``candidates`` (see :func:`compute_frontier`)."""
        self.frontier = compute_frontier(candidates, self.specs())
        return self.frontier

    # --- files ------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "env_name": self.env_name,
            "iteration": self.iteration,
            "skills": [s.to_json() for s in self.skills],
            "rejected": self.rejected,
            "frontier": self.frontier,
            "achievements": self.achievements,
        }

    @classmethod
    def from_json(cls, data: Any) -> Library:
        errors = schema_errors("library", data)
        if errors:
            raise LibraryError("invalid library: " + "; ".join(errors[:5]))
        skills = []
        for entry in data["skills"]:
            spec = SkillSpec.from_dict(entry["spec"])
            if spec.name != entry["name"]:
                raise LibraryError(
                    f"skill entry {entry['name']!r} holds a spec named {spec.name!r}"
                )
            skills.append(
                LearnedSkill(
                    spec=spec,
                    code=entry["code"],
                    expert=entry["expert"],
                    iteration=entry["iteration"],
                    metrics=entry.get("metrics", {}),
                    history=entry.get("history", []),
                )
            )
        names = [s.name for s in skills]
        if len(set(names)) != len(names):
            raise LibraryError("invalid library: duplicate skill names")
        return cls(
            env_name=data["env_name"],
            iteration=data["iteration"],
            skills=skills,
            rejected=data["rejected"],
            frontier=data["frontier"],
            achievements=data["achievements"],
        )

    def save(self, path: str | Path) -> Path:
        """Write atomically after checking the result against the schema."""
        data = self.to_json()
        Library.from_json(json.loads(json.dumps(data)))  # refuse to write what we cannot read
        return write_json_atomic(path, data)

    @classmethod
    def load(cls, path: str | Path) -> Library:
        try:
            data = json.loads(Path(path).read_text())
        except json.JSONDecodeError as exc:
            raise LibraryError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        return cls.from_json(data)


def kb_library(game: GameSpec, names: Iterable[str] | None = None) -> Library:
    """A library holding the knowledge-base skills of ``game`` (all, or ``names``)."""
    wanted = None if names is None else list(names)
    lib = Library(env_name=game.env_name)
    for skill in kb_skills(game):
        if wanted is None or skill.name in wanted:
            lib.add_skill(skill.spec, skill.code, iteration=-1)
    lib.update_frontier(kb_specs(game))
    return lib
