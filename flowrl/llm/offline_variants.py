"""Reward-code variants of the offline provider: K genuinely different candidates per skill.

With ``candidates: K`` the code step is asked K times, each time told the earlier answers.
The offline provider answers candidate ``k`` with variant ``k`` of the knowledge base's
working code: the same ``task_is_done`` (the skill's goal is fixed by its spec) and a
``task_reward`` with other shaping terms and weights. The KB's reward becomes the helper
``base_task_reward`` and a new ``task_reward`` recombines its progress term (the KB reward
less its health penalty) with the variant's terms:

    0  the knowledge base's reward, unchanged
    1  progress x2, health penalty x0.5          (greedier, less cautious)
    2  progress + 0.5 per new achievement - 0.01 per step + health penalty (urgency)
    3  progress x0.5 + health penalty            (gentler, more cautious)

Beyond four candidates the variants repeat with their step cost and achievement bonus
scaled up (``k // 4``), so every candidate's code still differs. Each variant stays inside
the skill contract (no imports, vetted jnp calls) and is validated like any LLM answer.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass


@dataclass(frozen=True)
class RewardVariant:
    """One reward design: a name (for the reward plan) and the return expression over
    ``progress`` (the KB reward less its health penalty) and the contract's arguments."""

    name: str
    expression: str | None  # None: the knowledge base's code as is
    terms: tuple[tuple[str, float], ...]


VARIANTS: tuple[RewardVariant, ...] = (
    RewardVariant("knowledge base", None, (("progress", 1.0), ("health_penalty", 1.0))),
    RewardVariant(
        "greedy: progress x2, health x0.5",
        "2.0 * progress + 0.5 * health_penalty",
        (("progress", 2.0), ("health_penalty", 0.5)),
    ),
    RewardVariant(
        "urgent: achievements bonus and a step cost",
        "progress + {bonus} * jnp.sum(achievements_diff).astype(jnp.float32) - {cost} "
        "+ health_penalty",
        (("progress", 1.0), ("new achievements", 0.5), ("step cost", -0.01), ("health", 1.0)),
    ),
    RewardVariant(
        "cautious: progress x0.5",
        "0.5 * progress + health_penalty",
        (("progress", 0.5), ("health_penalty", 1.0)),
    ),
)


def variant(k: int) -> RewardVariant:
    """Candidate ``k``'s reward design (``k`` >= 0)."""
    if k < 0:
        raise ValueError(f"candidate index must be >= 0, got {k}")
    return VARIANTS[k % len(VARIANTS)]


def _round(k: int) -> int:
    return k // len(VARIANTS)


def reward_terms(k: int) -> list[dict[str, object]]:
    """The reward plan terms of candidate ``k`` (what :func:`variant_code` pays for)."""
    scale = 1 + _round(k)
    terms = []
    for signal, weight in variant(k).terms:
        if signal in ("new achievements", "step cost"):
            weight *= scale
        terms.append({"signal": signal, "weight": weight, "why": variant(k).name})
    return terms


def variant_code(source: str, k: int) -> str:
    """Candidate ``k``'s module: ``source`` (a working skill module) with its reward
    redesigned as :data:`VARIANTS` says; ``k = 0`` returns ``source`` unchanged (and so does
    every multiple of four, with a step cost added, from the second round on)."""
    chosen = variant(k)
    scale = 1 + _round(k)
    if chosen.expression is None and scale == 1:
        return source
    tree = ast.parse(source)
    reward = next(
        (n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "task_reward"),
        None,
    )
    if reward is None:
        raise ValueError("the skill module has no task_reward to vary")
    args = [a.arg for a in reward.args.args]
    if "health_penalty" not in args:
        raise ValueError("task_reward takes no health_penalty; cannot vary this module")
    expression = (chosen.expression or "progress + health_penalty - {cost}").format(
        bonus=0.5 * scale, cost=0.01 * scale
    )
    lines = source.splitlines()
    lines[reward.lineno - 1] = lines[reward.lineno - 1].replace(
        "def task_reward(", "def base_task_reward(", 1
    )
    call = ", ".join(args)
    signature = ",\n    ".join(args)
    body = (
        f"\n\ndef task_reward(\n    {signature},\n):\n"
        f'    """Candidate {k}: {chosen.name}."""\n'
        f"    progress = base_task_reward({call}) - health_penalty\n"
        f"    return {expression}\n"
    )
    return "\n".join(lines).rstrip() + "\n" + body
