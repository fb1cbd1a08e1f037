"""Correct a skill's spec from rollout evidence (the offline trajectory analysis).

The evidence (:func:`flowrl.rl.skill_evidence.collect_evidence`) counts, over the steps
where the skill's own plan step was active, every item's increases and decreases, the
achievements unlocked and the step's completions. :func:`correct_spec` compares it with the
spec's ``gain`` and ``consumption``:

* an inventory (achievement) gain that never happened, while other items rose (other
  achievements were unlocked), is replaced, in its place (so a wrong primary gain is
  replaced by the observed primary gain), by what rose on the steps that completed the
  skill (else by the most frequent rise), ``a`` per completion;
* with at least one completion, an item used up at least once per completion that the spec
  does not consume becomes a consumption (and a requirement, since it must be held), and a
  consumption never observed is dropped;
* tools, stats, levels and ephemeral facts are kept: the counts cannot judge them.

The answer has the analyse step's shape (``requirements``, ``consumption``, ``gain``,
``reason``) and goes through the same checks and :func:`flowrl.skills.trajectory.apply_analysis`
as a model's answer, so the library keeps the old spec in the skill's history.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flowrl.skills.spec import ACHIEVEMENT_PREFIX, SkillSpec


def _amount(count: int, completions: int, constant: bool = False) -> str:
    per_run = max(1, round(count / completions)) if completions else 1
    if constant:
        return "lambda n: 1"
    return "lambda n: n" if per_run == 1 else f"lambda n: {per_run}*n"


def _observed(gain_type: str, key: str, evidence: Mapping[str, Any]) -> int | None:
    """How often gain ``key`` happened while the skill ran (None: not judged by counts)."""
    if gain_type == "inventory":
        return int((evidence.get("gained") or {}).get(key, 0))
    if gain_type == "achievement":
        return int((evidence.get("achievements") or {}).get(key[len(ACHIEVEMENT_PREFIX) :], 0))
    return None


def _replacements(
    seen: Mapping[str, int], at_completion: Mapping[str, int], spec_keys: set[str], prefix: str
) -> dict[str, int]:
    """What replaces a gain that never happened: the changes that completed the skill
    (on the completing steps), else the single most frequent change (incidental pickups,
    e.g. saplings while collecting wood, stay out)."""
    fresh = {f"{prefix}{k}": int(seen.get(k, n)) for k, n in at_completion.items()}
    fresh = {k: n for k, n in fresh.items() if k not in spec_keys}
    if fresh:
        return fresh
    rest = {f"{prefix}{k}": int(n) for k, n in seen.items() if f"{prefix}{k}" not in spec_keys}
    top = max(rest.items(), key=lambda kv: kv[1], default=None)
    return dict([top]) if top else {}


def correct_spec(spec: Mapping[str, Any], evidence: Mapping[str, Any]) -> dict[str, Any]:
    """``{"requirements", "consumption", "gain", "reason"}``: ``spec``'s fields, corrected
    where ``evidence`` contradicts them (unchanged, with the reason, where it does not)."""
    parsed = SkillSpec.from_dict(spec)
    source = parsed.to_dict()
    requirements = dict(source["requirements"])
    consumption = dict(source["consumption"])
    old_gain = source["gain"]
    active = int(evidence.get("steps_active", 0))
    done = int(evidence.get("completions", 0))
    episodes = int(evidence.get("episodes", 0))
    header = f"{active} active steps, {done} completions in {episodes} rollout episodes"
    if active == 0:
        return {
            "requirements": requirements,
            "consumption": consumption,
            "gain": old_gain,
            "reason": f"no evidence: the skill's step never ran ({header})",
        }
    gained = dict(evidence.get("gained") or {})
    consumed = dict(evidence.get("consumed") or {})
    unlocked = dict(evidence.get("achievements") or {})
    changes: list[str] = []

    unseen_items = _replacements(
        gained, evidence.get("gained_at_completion") or {}, set(old_gain), prefix=""
    )
    unseen_ach = _replacements(
        unlocked,
        evidence.get("achievements_at_completion") or {},
        set(old_gain),
        prefix=ACHIEVEMENT_PREFIX,
    )
    gain: dict[str, Any] = {}
    for key, value in old_gain.items():
        g = parsed.gain[key]
        seen = _observed(g.type, key, evidence)
        spare = unseen_items if g.type == "inventory" else unseen_ach
        if seen == 0 and spare:
            new = {k: _amount(n, done, constant=g.type == "achievement") for k, n in spare.items()}
            changes.append(
                f"gain {key} never happened; observed instead "
                + ", ".join(f"{k} +{n}" for k, n in spare.items())
            )
            gain.update(new)
            spare.clear()  # each observation replaces one missing gain
        elif key not in gain:
            gain[key] = value

    if done:
        for item, n in sorted(consumed.items()):
            if item in consumption or item in gain or n < done:
                continue
            consumption[item] = _amount(n, done)
            requirements.setdefault(item, consumption[item])
            changes.append(f"consumption {item}: {n} used over {done} completions")
        for item in list(consumption):
            if item not in consumed and not item.startswith(ACHIEVEMENT_PREFIX):
                del consumption[item]
                changes.append(f"consumption {item} never observed in {done} completions")

    reason = f"{header}: " + ("; ".join(changes) if changes else "consistent with the spec")
    return {
        "requirements": requirements,
        "consumption": consumption,
        "gain": gain,
        "reason": reason,
    }
