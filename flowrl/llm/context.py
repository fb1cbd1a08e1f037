"""The facts each chain step needs, cut from the library state (``library.json``) and the
step's inputs. Only names, specs and reasons travel; code only as one short example."""

from __future__ import annotations

from typing import Any

MAX_REJECTED = 8
MAX_REASON_CHARS = 300


def _gain_summary(spec: dict[str, Any]) -> dict[str, Any]:
    return dict(spec.get("gain") or {})


def library_skills(library: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Accepted skills of a library state (``skills`` list of {name, spec, code, ...})."""
    return list((library or {}).get("skills") or [])


def load_game_facts(env_name: str) -> list[str]:
    """All verified game facts of the knowledge base (none for games without one)."""
    from flowrl.llm.kb_facts import all_facts

    return all_facts(env_name)


def propose_context(
    env_name: str,
    library: dict[str, Any] | None,
    facts: list[str] | None = None,
    siblings: list[str] | None = None,
) -> dict[str, Any]:
    """Inputs of the propose step: learned skills' gains, rejections, achievements, frontier,
    and (parallel discovery) the names ``siblings`` proposed in the same round."""
    library = library or {}
    rejected = []
    for r in (library.get("rejected") or [])[-MAX_REJECTED:]:
        reason = "; ".join(r.get("reasons") or [])[:MAX_REASON_CHARS]
        rejected.append({"name": r.get("name"), "stage": r.get("stage", ""), "reason": reason})
    ctx: dict[str, Any] = {
        "env_name": env_name,
        "skills": {s["name"]: _gain_summary(s.get("spec") or {}) for s in library_skills(library)},
        "rejected": rejected,
        "achievements": list(library.get("achievements") or []),
        "frontier": list(library.get("frontier") or []),
    }
    if siblings:
        ctx["siblings"] = list(siblings)
    facts = load_game_facts(env_name) if facts is None else facts
    if facts:
        ctx["facts"] = facts
    return ctx


def spec_context(
    env_name: str, proposal: dict[str, Any], library: dict[str, Any] | None
) -> dict[str, Any]:
    """Inputs of the spec step: the proposal and the learned skills' specs (for key reuse)."""
    skills = {}
    for s in library_skills(library):
        spec = s.get("spec") or {}
        skills[s["name"]] = {
            k: spec[k] for k in ("requirements", "consumption", "gain") if spec.get(k)
        }
    ctx: dict[str, Any] = {
        "env_name": env_name,
        "proposal": {k: proposal[k] for k in ("name", "description", "gain") if k in proposal},
        "skills": skills,
    }
    from flowrl.llm.kb_facts import relevant_facts

    facts = relevant_facts(env_name, list((proposal.get("gain") or {}).keys()), proposal["name"])
    if facts:
        ctx["facts"] = facts
    return ctx


def spec_only(proposal: dict[str, Any]) -> dict[str, Any]:
    """The spec fields of a proposal record."""
    keys = ("name", "description", "requirements", "consumption", "gain", "ephemeral")
    return {k: proposal[k] for k in keys if k in proposal}


def reward_context(env_name: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {"env_name": env_name, "spec": spec_only(spec)}


def example_code(library: dict[str, Any] | None) -> str | None:
    """The shortest accepted skill's code, as a style example (None for an empty library)."""
    codes = [s.get("code") for s in library_skills(library) if s.get("code")]
    return min(codes, key=len) if codes else None


def code_context(
    env_name: str,
    spec: dict[str, Any],
    reward_plan: dict[str, Any],
    library: dict[str, Any] | None = None,
) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "env_name": env_name,
        "spec": spec_only(spec),
        "reward_plan": reward_plan,
    }
    example = example_code(library)
    if example:
        ctx["example"] = example
    return ctx


def repair_context(
    env_name: str, skill_name: str, source: str, reasons: list[str]
) -> dict[str, Any]:
    return {"env_name": env_name, "skill": skill_name, "source": source, "reasons": reasons}


def analyse_context(
    env_name: str, spec: dict[str, Any], rollout: str | dict[str, Any]
) -> dict[str, Any]:
    return {"env_name": env_name, "spec": spec_only(spec), "rollout": rollout}
