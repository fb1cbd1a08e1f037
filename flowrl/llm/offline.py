"""The ``offline`` provider: answers the chain deterministically from the built-in knowledge base.

It reads the step tag and ```json context of a chain prompt (see :mod:`flowrl.llm.prompts`)
and replies as a model would: the next knowledge-base skill (the ready one that unlocks the
most, see :mod:`flowrl.llm.offline_curriculum`), its spec, a reward plan derived from the
spec, and the knowledge base's working skill code (candidate ``k`` of ``candidates: K`` gets
variant ``k`` of it, :mod:`flowrl.llm.offline_variants`). Its trajectory analysis is real: it
corrects the spec from the rollout evidence the analyse stage sends
(:func:`flowrl.skills.spec_evidence.correct_spec`).
Usage is counted as characters/4 and costs $0. It needs no network and doubles as the
"premade curriculum" baseline.

The knowledge base is reached through :class:`KnowledgeBase`; :func:`load_knowledge` adapts
``flowrl.skills.knowledge`` and tests may :func:`register_knowledge` a small one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any, Protocol

from flowrl.envs.games import get_game
from flowrl.llm.offline_curriculum import MAX_REJECTIONS, next_skill
from flowrl.llm.offline_variants import reward_terms, variant, variant_code
from flowrl.llm.parsing import ParseError, apply_edits
from flowrl.llm.prompts import context_of, parse_tag
from flowrl.llm.types import (
    ConfigurationError,
    LLMError,
    Message,
    RawCompletion,
    Usage,
    estimate_tokens,
    messages_chars,
)
from flowrl.skills.knowledge import kb_skills
from flowrl.skills.spec_evidence import correct_spec

OFFLINE_MODEL = "offline"
EDIT_MARKER = "<<<<<<< SEARCH"
"""In a repair prompt's instructions when edits are asked for (older versions asked for the
whole module, and get it)."""


@dataclass(frozen=True)
class OfflineSkill:
    """One knowledge-base skill: its spec (name, description, requirements, consumption,
    gain, ephemeral) and working skill code."""

    spec: dict[str, Any]
    code: str

    @property
    def name(self) -> str:
        return str(self.spec["name"])


class KnowledgeBase(Protocol):
    def skills(self) -> list[OfflineSkill]:
        """Skills in curriculum order (each one's requirements met by earlier ones)."""
        ...


@dataclass(frozen=True)
class StaticKnowledge:
    """A knowledge base given as a list of skills."""

    items: tuple[OfflineSkill, ...]

    def skills(self) -> list[OfflineSkill]:
        return list(self.items)


_REGISTERED: dict[str, KnowledgeBase] = {}


def register_knowledge(env_name: str, kb: KnowledgeBase | None) -> None:
    """Use ``kb`` for ``env_name`` (None removes the registration)."""
    if kb is None:
        _REGISTERED.pop(env_name, None)
    else:
        _REGISTERED[env_name] = kb


def load_knowledge(env_name: str) -> KnowledgeBase:
    """The knowledge base of ``env_name``: a registered one, else ``flowrl.skills.knowledge``."""
    if env_name in _REGISTERED:
        return _REGISTERED[env_name]
    try:
        # the name comes from a prompt's tag line: resolved here, where the text is read
        skills = kb_skills(get_game(env_name))
        items = tuple(OfflineSkill(s.spec.to_dict(), s.code) for s in skills)
    except (ValueError, FileNotFoundError) as exc:
        raise ConfigurationError(
            f"the offline provider has no knowledge base for {env_name}: {exc}. "
            "Use a real model (--llm_name gpt-5) for this game."
        ) from exc
    return StaticKnowledge(items)


def _json_answer(value: Any) -> str:
    return "```json\n" + json.dumps(value, indent=1, ensure_ascii=False) + "\n```"


def _code_answer(code: str) -> str:
    return "```python\n" + code.strip() + "\n```"


def _count(lines: list[str], part: list[str]) -> int:
    k = len(part)
    return sum(lines[i : i + k] == part for i in range(len(lines) - k + 1))


def edits_answer(old: str, new: str) -> str | None:
    """Edit blocks (:data:`flowrl.llm.parsing.EDIT_FORMAT`) that turn ``old`` into ``new``,
    each widened by neighbouring lines until its SEARCH lines occur once; None when they
    would not reproduce ``new`` exactly or would be longer than ``new`` itself."""
    a, b = old.strip().splitlines(), new.strip().splitlines()
    blocks = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        lo, hi = i1, i2
        while (hi == lo or _count(a, a[lo:hi]) != 1) and (lo > 0 or hi < len(a)):
            lo, hi = max(0, lo - 1), min(len(a), hi + 1)
        replace = a[lo:i1] + b[j1:j2] + a[i2:hi]
        blocks.append(
            "\n".join(["<<<<<<< SEARCH", *a[lo:hi], "=======", *replace, ">>>>>>> REPLACE"])
        )
    text = "\n".join(blocks)
    try:
        same = blocks and apply_edits(old, text).strip() == new.strip()
    except ParseError:
        same = False
    return text if same and len(text) < len(new) else None


def reward_plan_from_spec(spec: dict[str, Any], candidate: int = 0) -> dict[str, Any]:
    """A deterministic reward plan naming the spec's gains (what the offline code rewards);
    candidate ``k`` > 0 uses the terms of :func:`flowrl.llm.offline_variants.variant` ``k``."""
    gains = list((spec.get("gain") or {}).keys())
    needs = list((spec.get("requirements") or {}).keys())
    terms = [
        {"signal": f"increase of {g}", "weight": 1.0, "why": "the skill's gain"} for g in gains
    ]
    terms.append({"signal": "health_penalty", "weight": 1.0, "why": "stay alive"})
    design = {}
    if candidate:  # the first candidate's plan is the single-candidate plan, unchanged
        terms, design = reward_terms(candidate), {"design": variant(candidate).name}
    return {
        **design,
        "done_when": f"{', '.join(gains) or 'the gain'} reaches the target n",
        "reward_terms": terms,
        "requirements_seen": needs,
    }


class OfflineProvider:
    """Deterministic, free, network-free provider answering from the knowledge base."""

    kind = "offline"
    cacheable = False
    identity = "offline"
    model = OFFLINE_MODEL

    def preflight(self, online: bool = False) -> None:
        return None

    def generation_params(self, max_gen: int | None) -> dict[str, Any]:
        return {"max_gen": int(max_gen or 0)}

    def _skill(self, env_name: str, name: str | None) -> OfflineSkill:
        for skill in load_knowledge(env_name).skills():
            if name is not None and skill.name.strip().lower() == name.strip().lower():
                return skill
        raise LLMError(f"offline provider: skill {name!r} is not in the {env_name} knowledge base")

    def _next(self, env_name: str, context: dict[str, Any]) -> OfflineSkill:
        skills = load_knowledge(env_name).skills()
        skill = next_skill(skills, context)  # type: ignore[type-var]  # OfflineSkill satisfies the skill protocol structurally
        if skill is None:
            raise LLMError(
                f"offline curriculum exhausted: all {len(skills)} knowledge-base skills of "
                f"{env_name} are learned, proposed this round or rejected "
                f"{MAX_REJECTIONS} times; lower max_nodes (or max_parallel_skills) to the "
                "skills left, or use a real model (llm_name) to go beyond the knowledge base"
            )
        return skill

    def _reward_code(self, step: str, env_name: str, context: dict[str, Any]) -> str:
        """Reward plan and code of candidate k (told the k earlier ones), or either alone."""
        spec = context.get("spec") or {}
        plan = _json_answer(
            reward_plan_from_spec(spec, len(context.get("earlier_reward_plans") or []))
        )
        if step == "reward":
            return plan
        skill = self._skill(env_name, spec.get("name"))
        code = _code_answer(variant_code(skill.code, len(context.get("earlier_candidates") or [])))
        return code if step == "code" else f"{plan}\n{code}"

    def answer(self, messages: list[Message]) -> str:
        """The reply text for ``messages``."""
        tagged = parse_tag(messages)
        if tagged is None:
            return (
                "pong from the offline provider (deterministic, no network); "
                f"received {messages_chars(messages)} characters."
            )
        step, env_name = tagged
        context = context_of(messages)
        if step in ("propose_spec", "propose"):  # "propose": prompts of older versions
            skill = self._next(env_name, context)
            if step == "propose_spec":
                return _json_answer(skill.spec)
            keys = ("name", "description", "gain")
            return _json_answer({k: skill.spec.get(k, "") for k in keys})
        if step == "spec":
            return _json_answer(
                self._skill(env_name, (context.get("proposal") or {}).get("name")).spec
            )
        if step in ("reward_code", "reward", "code"):  # reward, code: of older versions
            return self._reward_code(step, env_name, context)
        if step == "repair":
            source = str(context.get("source") or "")
            good = self._skill(env_name, context.get("skill")).code
            asks_edits = any(
                EDIT_MARKER in m.get("content", "") for m in messages if m.get("role") == "system"
            )
            edits = edits_answer(source, good) if asks_edits else None
            return edits or _code_answer(good)
        if step == "analyse":
            spec = context.get("spec") or {}
            rollout = context.get("rollout")
            if isinstance(rollout, dict) and rollout.get("evidence"):
                return _json_answer(correct_spec(spec, rollout["evidence"]))
            return _json_answer(
                {
                    **{k: spec.get(k) or {} for k in ("requirements", "consumption", "gain")},
                    "reason": "offline provider: no rollout evidence; the spec is kept as is",
                }
            )
        raise LLMError(f"offline provider: unknown chain step {step!r}")

    def complete(
        self, messages: list[Message], params: dict[str, Any], timeout: float | None = None
    ) -> RawCompletion:
        text = self.answer(messages)
        usage = Usage(
            prompt_tokens=(messages_chars(messages) + 3) // 4,
            completion_tokens=estimate_tokens(text),
            estimated=True,
        )
        return RawCompletion(text=text, usage=usage, model=OFFLINE_MODEL)
