"""Prompt templates of the skill-discovery chain. Compact: each step gets only its facts.

Every prompt is two messages. The system message opens with a tag line
``[flowrl step=<step> env=<env_name>]`` and the user message carries the step's inputs as one
```json context block, so the deterministic offline provider can answer the same prompts.
"""

from __future__ import annotations

import json
import re
from typing import Any

from flowrl.llm import facts
from flowrl.llm.types import Message

STEPS = ("propose", "spec", "reward", "code", "repair", "analyse")
_TAG = re.compile(r"^\[flowrl step=(\w+) env=(\S+)\]")

KEY_RULES = (
    "Keys: inventory field names (e.g. wood) for items held; `achievement:NAME` for an "
    "achievement; `player_level` for the floor; health/food/drink/energy/mana for stats; "
    "a free name (e.g. crafting_table) for an ephemeral fact about the surroundings that a "
    "skill with ephemeral=true creates (e.g. a placed table nearby). Amounts are strings "
    "`lambda n: a*n + b` for n executions of the skill (a, b numbers). Tools in full Craftax "
    'may be gained as {"type": "tool", "tier": k}.'
)


def tag(step: str, env_name: str) -> str:
    return f"[flowrl step={step} env={env_name}]"


def parse_tag(messages: list[Message]) -> tuple[str, str] | None:
    """(step, env_name) from a chain prompt's system message, or None."""
    for m in messages:
        if m.get("role") == "system":
            match = _TAG.match(m.get("content", ""))
            if match:
                return match.group(1), match.group(2)
    return None


def context_of(messages: list[Message]) -> dict[str, Any]:
    """The ```json context block of the first user message (empty if none)."""
    from flowrl.llm.parsing import fenced_blocks

    for m in messages:
        if m.get("role") == "user":
            blocks = fenced_blocks(m.get("content", ""), ("json",))
            if blocks:
                try:
                    value = json.loads(blocks[0])
                except json.JSONDecodeError:
                    return {}
                return value if isinstance(value, dict) else {}
            return {}
    return {}


def _dump(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def _messages(
    step: str, env_name: str, role: str, body: str, context: dict[str, Any]
) -> list[Message]:
    return [
        {"role": "system", "content": f"{tag(step, env_name)}\n{role}"},
        {"role": "user", "content": f"Context:\n```json\n{_dump(context)}\n```\n{body}"},
    ]


ROLE = "You design skills for a reinforcement-learning agent in the Craftax game named below."


def propose_messages(env_name: str, context: dict[str, Any]) -> list[Message]:
    """Step 1: choose the next skill. ``context`` from :func:`flowrl.llm.context.propose_context`."""
    body = (
        f"{facts.game_overview(env_name)}\n"
        "`skills` are learned (name -> gain), `rejected` failed earlier (with reasons), "
        "`achievements` are already unlocked by the library, `frontier` lists what the library "
        "can reach next, `facts` are verified game facts.\n"
        "Propose ONE new skill that is reachable from the learned skills and unlocks progress "
        "(new items, tools or achievements). Do not repeat a learned skill; repeat a rejected "
        "one only if you fix its reason.\n"
        + (
            "`siblings` are being proposed in parallel with you right now: propose a skill "
            "different from each of them.\n"
            if context.get("siblings")
            else ""
        )
        + "Answer with one ```json block: "
        '{"name": str, "description": str (one sentence), "gain": {key: "lambda n: a*n + b"}}.\n'
        + KEY_RULES
    )
    return _messages("propose", env_name, ROLE, body, context)


def spec_messages(env_name: str, context: dict[str, Any]) -> list[Message]:
    """Step 2: requirements / consumption / gain / ephemeral of the proposed skill."""
    body = (
        "Specify the proposed skill `proposal` for n executions. `skills` gives the gains of "
        "learned skills: reuse their keys. Requirements must hold before the skill starts "
        "(items held, tools, ephemeral facts); consumption is what it uses up; gain what it yields.\n"
        + KEY_RULES
        + "\nAnswer with one ```json block: "
        '{"name": str, "description": str, "requirements": {key: amount}, '
        '"consumption": {key: amount}, "gain": {key: amount}, "ephemeral": bool}. '
        "ephemeral=true only if the gain is a fact about the surroundings, not an item."
    )
    return _messages("spec", env_name, ROLE, body, context)


def reward_messages(env_name: str, context: dict[str, Any]) -> list[Message]:
    """Step 3: reason about a dense reward and the done condition from the observable features."""
    body = (
        f"Features the reward code will see:\n{facts.features_text(env_name)}\n"
        "Plan a dense reward for the skill `spec` that an RL agent can learn from: the signal "
        "for the gain itself, shaping toward what the skill needs (e.g. getting closer to the "
        "block to use), and the condition that makes the skill done for target n.\n"
        "Answer with one ```json block: "
        '{"done_when": str, "reward_terms": [{"signal": str, "weight": number, "why": str}]}.'
    )
    return _messages("reward", env_name, ROLE, body, context)


def code_messages(env_name: str, context: dict[str, Any]) -> list[Message]:
    """Step 4: write the skill module per the contract."""
    body = (
        f"{facts.contract_text(env_name)}\n"
        f"Features:\n{facts.features_text(env_name)}\n"
        "Implement the skill `spec` with the reward plan `reward_plan`"
        + (" (`example` is a working skill, for style)" if context.get("example") else "")
        + ". n is the target the plan sets: task_is_done is true once the gained quantity "
        "reaches n (e.g. inventory.wood >= n); for achievements or ephemeral gains test the "
        "achievement or the nearby block directly.\n"
        "Answer with the whole module in one ```python block."
    )
    return _messages(
        "code", env_name, "You write JAX reward code for Craftax skills.", body, context
    )


def repair_messages(env_name: str, context: dict[str, Any]) -> list[Message]:
    """Validate step: fix code that failed validation, given the validator's reasons."""
    body = (
        f"{facts.contract_text(env_name)}\n"
        f"Features:\n{facts.features_text(env_name)}\n"
        "The module `source` for skill `skill` failed validation with `reasons`. Fix every "
        "reason and keep the reward design.\nAnswer with the whole module in one ```python block."
    )
    return _messages(
        "repair", env_name, "You fix JAX reward code for Craftax skills.", body, context
    )


def analyse_messages(env_name: str, context: dict[str, Any]) -> list[Message]:
    """Analyse step: correct a skill's spec from what rollouts of its trained policy did."""
    body = (
        "`spec` is what we believed about the skill; `rollout` summarises what the trained "
        "policy actually did while executing it (actions, and the steps where inventory, "
        "achievements or floor changed). Correct requirements, consumption and gain so they "
        "match the evidence; keep what the evidence does not contradict (unchanged if it all holds).\n"
        + KEY_RULES
        + "\nAnswer with one ```json block: "
        '{"requirements": {key: amount}, "consumption": {key: amount}, "gain": {key: amount}, '
        '"reason": str (what in the rollout supports the change, or "consistent")}.'
    )
    return _messages("analyse", env_name, ROLE, body, context)


BUILDERS = {
    "propose": propose_messages,
    "spec": spec_messages,
    "reward": reward_messages,
    "code": code_messages,
    "repair": repair_messages,
    "analyse": analyse_messages,
}
