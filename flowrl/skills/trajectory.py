"""Trajectory analysis: summarise a rollout for the analysis prompt, apply the answer.

:func:`summarize_trajectory` turns the states and actions of a policy executing one plan
step into compact text: the start floor, an action histogram, and one line per step only
where the inventory, an achievement or the floor changed. :func:`apply_analysis` takes the
analysis answer (updated ``requirements``/``consumption``/``gain``), validates it as a
spec and stores it in the library, keeping the old spec in the skill's history.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from flowrl.envs.games import GameSpec
from flowrl.skills.spec import SkillSpec, SpecError


def _inventory_items(inventory: Any) -> dict[str, int]:
    """Flat name -> count of an Inventory struct (array fields become name[i])."""
    out: dict[str, int] = {}
    for name in inventory.__dataclass_fields__:
        value = np.asarray(getattr(inventory, name))
        if value.ndim == 0:
            out[name] = int(value)
        else:
            for i, v in enumerate(value.ravel()):
                out[f"{name}[{i}]"] = int(v)
    return out


def _unstack(states: Any) -> list[Any]:
    """A list of per-step states from a list or from a pytree with a leading time axis."""
    if isinstance(states, Sequence):
        return list(states)
    import jax  # deliberately lazy: skills stay importable without JAX for the light stages

    length = int(np.asarray(states.player_position).shape[0])
    return [jax.tree.map(lambda x, i=i: x[i], states) for i in range(length)]


def summarize_trajectory(
    states: Any,
    actions: Sequence[int] | Any,
    game: GameSpec,
    max_lines: int = 60,
) -> str:
    """Text summary of a rollout: ``states[t]`` is the state before ``actions[t]``.

    ``states`` may hold one more entry than ``actions`` (the final state).
    """
    constants = game.constants
    seq = _unstack(states)
    acts = [int(a) for a in np.asarray(actions).ravel()]
    if not seq:
        return "Empty trajectory."
    action_names = {a.value: a.name for a in constants.Action}
    achievement_names = {a.value: a.name for a in constants.Achievement}

    def level(state: Any) -> int:
        return int(np.asarray(getattr(state, "player_level", 0)))

    lines = [f"Start floor: {level(seq[0])}", f"Steps: {len(acts)}"]
    hist = Counter(action_names.get(a, str(a)) for a in acts)
    lines.append(
        "Actions: "
        + ", ".join(
            f"{name} x{count}"
            for name, count in sorted(hist.items(), key=lambda kv: (-kv[1], kv[0]))
        )
    )
    start_inv = {k: v for k, v in _inventory_items(seq[0].inventory).items() if v}
    lines.append(
        "Start inventory: " + (", ".join(f"{k}={v}" for k, v in start_inv.items()) or "empty")
    )
    events: list[str] = []
    for t in range(1, len(seq)):
        prev, cur = seq[t - 1], seq[t]
        changes: list[str] = []
        before, after = _inventory_items(prev.inventory), _inventory_items(cur.inventory)
        for key in after:
            delta = after[key] - before.get(key, 0)
            if delta:
                changes.append(f"{key} {delta:+d} (now {after[key]})")
        new = np.flatnonzero(np.asarray(cur.achievements) & ~np.asarray(prev.achievements))
        changes += [f"achievement {achievement_names.get(int(i), int(i))}" for i in new]
        if level(cur) != level(prev):
            changes.append(f"floor {level(prev)} -> {level(cur)}")
        if changes:
            action = action_names.get(acts[t - 1], "?") if t - 1 < len(acts) else "?"
            events.append(f"t={t} after {action}: " + "; ".join(changes))
    if len(events) > max_lines:
        skipped = len(events) - max_lines
        events = [
            *events[: max_lines // 2],
            f"... {skipped} more changes ...",
            *events[-max_lines // 2 :],
        ]
    lines.append("Changes:" if events else "Changes: none")
    lines += [f"  {e}" for e in events]
    return "\n".join(lines)


class AnalysisError(ValueError):
    """An analysis answer that cannot be applied; the message says why."""


ANALYSIS_FIELDS = ("requirements", "consumption", "gain")


def apply_analysis(
    library: Any,
    skill_name: str,
    answer: Mapping[str, Any],
    iteration: int,
    reason: str = "trajectory analysis",
) -> SkillSpec:
    """Update ``skill_name``'s spec with the answer's fields; the old spec goes to history.

    Only ``requirements``, ``consumption`` and ``gain`` may change; fields missing from
    the answer keep their old value. The merged spec must parse (amounts are lambdas).
    """
    if not isinstance(answer, Mapping):
        raise AnalysisError("the analysis answer must be a JSON object")
    unknown = sorted(set(answer) - set(ANALYSIS_FIELDS) - {"name", "reason", "explanation"})
    if unknown:
        raise AnalysisError(f"unknown fields in the analysis answer: {unknown}")
    if "name" in answer and answer["name"] != skill_name:
        raise AnalysisError(f"the answer is about {answer['name']!r}, not {skill_name!r}")
    old = library.get(skill_name).spec
    merged = old.to_dict()
    for key in ANALYSIS_FIELDS:
        if key in answer:
            merged[key] = answer[key]
    try:
        spec = SkillSpec.from_dict(merged)
    except SpecError as exc:
        raise AnalysisError(str(exc)) from None
    if spec == old:
        return old
    note = answer.get("reason") or answer.get("explanation") or reason
    library.update_spec(skill_name, spec, iteration, str(note))
    return spec
