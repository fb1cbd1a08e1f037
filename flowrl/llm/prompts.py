"""What goes into a prompt: verified game facts, the context each chain step needs, and the
prompt templates.

Facts are read from the game's own code (enums, the inventory struct), from
:mod:`flowrl.skills.contract`, or from the verified knowledge base (one line per mining
rule, recipe, placement and interaction, plus its notes); games without a knowledge base get
no facts rather than invented ones. A step gets only the facts and library state it needs:
names, specs and reasons travel; code only as one short example.

Every prompt is two messages. The system message opens with the game's :func:`preamble`
(identical for every step and skill, so providers' prompt caching applies), then a tag line
``[flowrl step=<step> env=<env_name>]`` and the step's fixed instructions; the user message
carries the step's inputs as one ```json context block, so the deterministic offline provider
can answer the same prompts.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections import Counter
from typing import Any

from flowrl.envs.games import GameSpec
from flowrl.llm.parsing import EDIT_FORMAT, fenced_blocks
from flowrl.llm.types import Message
from flowrl.skills import allowlist
from flowrl.skills.contract import (
    ENUM_NAMES,
    REWARD_LIMIT,
    UNSEEN_DISTANCE,
    describe_signature,
)
from flowrl.skills.knowledge import has_knowledge_base, load_knowledge_base

# -- game facts from the game's code ------------------------------------------------------
_ARRAY_FIELDS = {"armour": "int[4]", "potions": "int[6]"}


def inventory_fields(game: GameSpec) -> tuple[str, ...]:
    """Field names of the game's inventory struct, with shapes for array fields."""
    return tuple(
        f"{n} ({_ARRAY_FIELDS[n]})" if n in _ARRAY_FIELDS else n for n in game.inventory_fields
    )


def enum_names(game: GameSpec, enum: str) -> list[str]:
    return [member.name for member in game.enum(enum)]


def intrinsic_names(game: GameSpec) -> list[str]:
    names = ["health", "food", "drink", "energy"]
    return [*names, "mana"] if game.has_levels else names


def features_text(game: GameSpec) -> str:
    """What each skill-function argument holds, in a few lines."""
    lines = [
        f"inventory / inventory_diff: struct with int fields {', '.join(inventory_fields(game))}; "
        "read as inventory.wood; the _diff is this step minus the previous step.",
        f"closest_blocks / closest_blocks_prev: int32[{game.num_feature_rows}, 2, K]: for block type b "
        "(index BlockType.X.value), the (row, col) offsets from the player of the K nearest visible "
        f"blocks, nearest first; {UNSEEN_DISTANCE} when not seen. Distance: jnp.abs(cb[b, :, 0]).sum(). "
        "Rows Mob.X.value (after the block types) hold the living mobs of kind X the same way"
        + (" (on the player's floor)." if game.has_levels else "."),
        f"player_intrinsics / player_intrinsics_diff: float32[{game.num_intrinsics}] = "
        f"[{', '.join(intrinsic_names(game))}].",
        f"achievements: bool[{game.num_achievements}], index Achievement.X.value; "
        "achievements_diff: unlocked at this step.",
    ]
    if game.has_levels:
        lines.append(
            "player_level (int, current floor) / player_level_diff; monsters_killed int[levels] "
            "per floor / monsters_killed_diff."
        )
    lines.append("health_penalty: float scalar; add it to the reward unchanged.")
    lines.append("n: the target count of the skill (int).")
    return "\n".join(f"- {line}" for line in lines)


def contract_text(game: GameSpec) -> str:
    """The skill-code contract as the LLM must follow it."""
    return (
        "Write exactly these three top-level functions (positional parameters in this order):\n"
        f"{describe_signature(game)}\n"
        "Rules: pure JAX on the arguments; no import statements; the names "
        f"{', '.join(allowlist.MODULE_NAMES)} and {', '.join(ENUM_NAMES)} are predefined; "
        "no Python if/while/for on array values (use jnp.where, jnp.logical_and, ...); "
        "task_is_done returns a scalar bool array, task_reward a scalar float, "
        "task_network_number a Python int (0 unless told otherwise); no printing, no I/O; "
        "never assign to attributes or to items of the arguments.\n"
        f"Only these may be used (anything else is refused): {allowlist.describe()}"
    )


def game_overview(game: GameSpec) -> str:
    """Block types and achievements of the game (names only)."""
    return (
        f"Game: {game.env_name}\n"
        f"BlockType: {', '.join(enum_names(game, 'BlockType'))}\n"
        f"Achievement: {', '.join(enum_names(game, 'Achievement'))}\n"
        f"Mob: {', '.join(enum_names(game, 'Mob'))}"
    )


# -- game facts from the knowledge base ---------------------------------------------------
@dataclasses.dataclass(frozen=True)
class Fact:
    """One line of game facts and the keys (items, blocks, achievements) it mentions."""

    text: str
    keys: frozenset[str]


def _amounts(d: dict[str, Any] | None) -> str:
    return ", ".join(f"{k} {v}" for k, v in (d or {}).items()) or "nothing"


def _keys(*parts: Any) -> frozenset[str]:
    out: set[str] = set()
    for p in parts:
        if isinstance(p, dict):
            out |= {str(k).lower() for k in p}
        elif isinstance(p, list | tuple):
            out |= {str(x).lower() for x in p}
        elif p:
            out.add(str(p).lower())
    return frozenset(out)


def facts_from_kb(kb: dict[str, Any]) -> list[Fact]:
    """Structured KB entries as one-line facts with the keys they mention."""
    facts: list[Fact] = []
    for m in kb.get("mining") or []:
        prob = f" with probability {m['probability']}" if m.get("probability") else ""
        facts.append(
            Fact(
                f"mine {m['block']} (needs {_amounts(m.get('requires'))}) -> "
                f"{_amounts(m.get('yields'))}{prob}; achievement {m.get('achievement', '-')}",
                _keys(m.get("requires"), m.get("yields"), m.get("block"), m.get("achievement")),
            )
        )
    for r in kb.get("recipes") or []:
        near = " near " + "+".join(r.get("near") or []) if r.get("near") else ""
        facts.append(
            Fact(
                f"{r['action']}: uses {_amounts(r.get('requires'))}{near} -> "
                f"{_amounts(r.get('yields'))}",
                _keys(r.get("requires"), r.get("yields"), r.get("near"), r.get("achievement")),
            )
        )
    for p in kb.get("placements") or []:
        facts.append(
            Fact(
                f"{p['action']}: uses {_amounts(p.get('requires'))} -> places {p.get('places')} "
                f"onto {'/'.join(p.get('onto') or [])}",
                _keys(p.get("requires"), p.get("places"), p.get("achievement")),
            )
        )
    for i in kb.get("interactions") or []:
        facts.append(
            Fact(
                f"{i.get('name')}: {i.get('action')} facing {i.get('facing')} -> "
                f"{_amounts(i.get('effect'))}; achievement {i.get('achievement', '-')}",
                _keys(i.get("effect"), i.get("facing"), i.get("achievement")),
            )
        )
    general = []
    if kb.get("inventory_cap"):
        general.append(f"inventory counts are capped at {kb['inventory_cap']}")
    if kb.get("near"):
        general.append(str(kb["near"]))
    general.extend(str(n) for n in kb.get("notes") or [])
    facts.extend(Fact(g, frozenset({"*"})) for g in general)
    return facts


def load_facts(game: GameSpec) -> list[Fact]:
    """Facts of ``game``'s knowledge base: none for a game without one (a knowledge base
    that fails its schema raises)."""
    if not has_knowledge_base(game):
        return []
    return facts_from_kb(load_knowledge_base(game))


def all_facts(game: GameSpec) -> list[str]:
    return [f.text for f in load_facts(game)]


def relevant_facts(game: GameSpec, keys: list[str], name: str = "") -> list[str]:
    """Facts that mention one of ``keys`` (or the name as an ACTION_NAME), plus general notes."""
    wanted = {k.lower().removeprefix("achievement:") for k in keys}
    if name:
        wanted.add(re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_"))
    return [f.text for f in load_facts(game) if "*" in f.keys or f.keys & wanted]


# -- step contexts from the library state -------------------------------------------------
MAX_REJECTED = 8
MAX_REASON_CHARS = 300


def library_skills(library: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Accepted skills of a library state (``skills`` list of {name, spec, code, ...})."""
    return list((library or {}).get("skills") or [])


def load_game_facts(game: GameSpec) -> list[str]:
    """All verified game facts of the knowledge base (none for games without one)."""
    return all_facts(game)


def propose_context(
    game: GameSpec,
    library: dict[str, Any] | None,
    siblings: list[str] | None = None,
) -> dict[str, Any]:
    """Inputs of the propose step (which also specifies the skill it proposes): learned
    skills' requirements, consumption and gains, rejections, achievements, frontier, and
    (parallel discovery) the names ``siblings`` proposed in the same round. The game facts
    are in the shared :func:`preamble`."""
    library = library or {}
    history = library.get("rejected") or []
    rejected = []
    for r in history[-MAX_REJECTED:]:
        reason = "; ".join(r.get("reasons") or [])[:MAX_REASON_CHARS]
        rejected.append({"name": r.get("name"), "stage": r.get("stage", ""), "reason": reason})
    ctx: dict[str, Any] = {
        "env_name": game.env_name,
        "skills": learned_specs(library),
        "rejected": rejected,
        # over the whole history: the list above keeps only the latest MAX_REJECTED
        "rejection_counts": dict(Counter(str(r.get("name")) for r in history)),
        "achievements": list(library.get("achievements") or []),
        "frontier": list(library.get("frontier") or []),
    }
    if siblings:
        ctx["siblings"] = list(siblings)
    return ctx


def learned_specs(library: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Learned skills' non-empty requirements, consumption and gain, by name (for key reuse)."""
    skills = {}
    for s in library_skills(library):
        spec = s.get("spec") or {}
        skills[s["name"]] = {
            k: spec[k] for k in ("requirements", "consumption", "gain") if spec.get(k)
        }
    return skills


def spec_context(
    game: GameSpec, proposal: dict[str, Any], library: dict[str, Any] | None
) -> dict[str, Any]:
    """Inputs of the spec step alone (the inventory graph; the chain's propose step
    specifies in the same answer): the proposal and the learned skills' specs."""
    return {
        "env_name": game.env_name,
        "proposal": {k: proposal[k] for k in ("name", "description", "gain") if k in proposal},
        "skills": learned_specs(library),
    }


def spec_only(proposal: dict[str, Any]) -> dict[str, Any]:
    """The spec fields of a proposal record."""
    keys = ("name", "description", "requirements", "consumption", "gain", "ephemeral")
    return {k: proposal[k] for k in keys if k in proposal}


def example_code(library: dict[str, Any] | None) -> str | None:
    """The shortest accepted skill's code, as a style example (None for an empty library)."""
    codes = [s.get("code") for s in library_skills(library) if s.get("code")]
    return min(codes, key=len) if codes else None  # type: ignore[arg-type]  # codes holds str only; min's key is over Sized


def code_context(
    game: GameSpec,
    spec: dict[str, Any],
    library: dict[str, Any] | None = None,
    earlier: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Inputs of the code step (reward plan and module in one answer): the spec, the shortest
    learned skill's code as an example, and ``earlier``: this skill's earlier candidates
    (``candidates: K``; ``{"source", "reward_plan"}`` each)."""
    ctx: dict[str, Any] = {"env_name": game.env_name, "spec": spec_only(spec)}
    example = example_code(library)
    if example:
        ctx["example"] = example
    if earlier:
        ctx["earlier_reward_plans"] = [e["reward_plan"] for e in earlier]
        ctx["earlier_candidates"] = [e["source"] for e in earlier]
    return ctx


MAX_HISTORY_CHARS = 1600
"""Bound of the earlier-attempts list in a repair prompt (about 400 tokens)."""


def repair_history(earlier: list[list[str]]) -> list[dict[str, Any]]:
    """Earlier failed versions' reasons as ``[{"attempt": k, "reasons": [...]}]``, newest
    first kept when the list must be cut to ``MAX_HISTORY_CHARS`` (each reason cut to
    ``MAX_REASON_CHARS``); returned oldest first."""
    kept: list[dict[str, Any]] = []
    used = 0
    for k in range(len(earlier) - 1, -1, -1):
        reasons = [r[:MAX_REASON_CHARS] for r in earlier[k]]
        size = sum(len(r) for r in reasons) + 20
        if kept and used + size > MAX_HISTORY_CHARS:
            break
        if used + size > MAX_HISTORY_CHARS:  # even one entry is too long: cut its reasons
            reasons = [r[: max(40, MAX_HISTORY_CHARS // max(1, len(reasons)))] for r in reasons]
        kept.append({"attempt": k + 1, "reasons": reasons})
        used += size
    return kept[::-1]


def repair_context(
    game: GameSpec,
    skill_name: str,
    source: str,
    reasons: list[str],
    earlier: list[list[str]] | None = None,
) -> dict[str, Any]:
    """Inputs of a repair: the failing module and its reasons, plus (``history``) the reasons
    every earlier version of it failed with, bounded by :data:`MAX_HISTORY_CHARS`."""
    ctx: dict[str, Any] = {
        "env_name": game.env_name,
        "skill": skill_name,
        "source": source,
        "reasons": reasons,
    }
    if earlier:
        ctx["history"] = repair_history(earlier)
    return ctx


def analyse_context(
    game: GameSpec, spec: dict[str, Any], rollout: str | dict[str, Any]
) -> dict[str, Any]:
    return {"env_name": game.env_name, "spec": spec_only(spec), "rollout": rollout}


# -- prompt templates ---------------------------------------------------------------------
# Layout for providers' prompt caching (a repeated prefix of 1024+ tokens is billed at the
# cached rate): the system message opens with one preamble that is the same for every step
# and skill of a game (facts, key rules, features, code contract), then the step's fixed
# instructions; everything that changes (the step's inputs) comes last, in the user message.
STEPS = ("propose_spec", "spec", "reward_code", "repair", "analyse")
"""The chain's steps. ``propose_spec`` and ``reward_code`` each do two tasks in one answer
(a skill and its spec; a reward plan and its module); ``spec`` alone serves the inventory
graph. Prompts of older versions (steps ``propose``, ``reward``, ``code``) are still answered
by the offline provider."""
_TAG = re.compile(r"^\[flowrl step=(\w+) env=(\S+)\]", re.MULTILINE)

KEY_RULES = (
    "Keys: inventory field names (e.g. wood) for items held; `achievement:NAME` for an "
    "achievement; `player_level` for the floor; health/food/drink/energy/mana for stats; "
    "a free name (e.g. crafting_table) for an ephemeral fact about the surroundings that a "
    "skill with ephemeral=true creates (e.g. a placed table nearby). Amounts are strings "
    "`lambda n: a*n + b` for n executions of the skill (a, b numbers). Tools in full Craftax "
    'may be gained as {"type": "tool", "tier": k}.'
)


def tag(step: str, game: GameSpec) -> str:
    return f"[flowrl step={step} env={game.env_name}]"


def parse_tag(messages: list[Message]) -> tuple[str, str] | None:
    """(step, env_name) from a chain prompt's system message (a line of its own), or None."""
    for m in messages:
        if m.get("role") == "system":
            match = _TAG.search(m.get("content", ""))
            if match:
                return match.group(1), match.group(2)
    return None


def context_of(messages: list[Message]) -> dict[str, Any]:
    """The ```json context block of the first user message (empty if none)."""
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


ROLE = (
    "You design skills for a reinforcement-learning agent in the Craftax game below and write "
    "their JAX reward code. This preamble is the same for every request; the step to do, its "
    "instructions and its inputs follow it."
)


@functools.lru_cache(maxsize=8)
def preamble(game: GameSpec) -> str:
    """The part every chain prompt of ``game`` starts with (identical across steps and
    skills, so providers serve it from their prompt cache)."""
    facts = all_facts(game)
    parts = [ROLE, game_overview(game)]
    if facts:
        parts.append("Verified game facts:\n" + "\n".join(f"- {f}" for f in facts))
    parts += [
        KEY_RULES,
        f"Features the skill code sees (its function arguments):\n{features_text(game)}",
        f"Skill code contract. {contract_text(game)}",
    ]
    return "\n\n".join(parts)


def _messages(step: str, game: GameSpec, body: str, context: dict[str, Any]) -> list[Message]:
    return [
        {
            "role": "system",
            "content": f"{preamble(game)}\n\n{tag(step, game)}\n{body}",
        },
        {
            "role": "user",
            "content": f"Context:\n```json\n{_dump(context)}\n```\nDo step `{step}` for this context.",
        },
    ]


def propose_messages(game: GameSpec, context: dict[str, Any]) -> list[Message]:
    """Step 1: choose the next skill and specify it, in one answer. ``context`` from
    :func:`flowrl.llm.prompts.propose_context`."""
    body = (
        "Step propose_spec. In the context, `skills` are learned (name -> requirements, "
        "consumption, gain), `rejected` failed earlier (the latest, with reasons), "
        "`rejection_counts` counts every rejection by name, `achievements` are already "
        "unlocked by the library, `frontier` lists what the library can reach next.\n"
        "Propose ONE new skill that is reachable from the learned skills and unlocks progress "
        "(new items, tools or achievements). Do not repeat a learned skill; repeat a rejected "
        "one only if you fix its reason, and never one rejected twice. A skill that restores "
        "food, drink or energy and needs nothing becomes upkeep: deeper plans run it whenever "
        "that need is low, so learn those before plans that take hundreds of steps (iron and "
        "beyond).\n"
        + (
            "`siblings` are being proposed in parallel with you right now: propose a skill "
            "different from each of them.\n"
            if context.get("siblings")
            else ""
        )
        + SPEC_RULES
        + "\nAnswer with one ```json block and no other text: "
        + SPEC_FORMAT
    )
    return _messages("propose_spec", game, body, context)


SPEC_RULES = (
    "Specify the skill for n executions, reusing the learned skills' keys: requirements must "
    "hold before it starts (items held, tools, ephemeral facts); consumption is what it uses "
    "up; gain what it yields (keys and amounts as the preamble says). ephemeral=true only if "
    "the gain is a fact about the surroundings, not an item."
)
SPEC_FORMAT = (
    '{"name": str, "description": str (one sentence), "requirements": {key: amount}, '
    '"consumption": {key: amount}, "gain": {key: amount}, "ephemeral": bool}.'
)


def spec_messages(game: GameSpec, context: dict[str, Any]) -> list[Message]:
    """The spec of a given proposal alone (the inventory graph): requirements / consumption /
    gain / ephemeral."""
    body = (
        "Step spec. `proposal` is the skill to specify; `skills` gives the learned skills' "
        "requirements, consumption and gains. "
        + SPEC_RULES
        + "\nAnswer with one ```json block and no other text: "
        + SPEC_FORMAT
    )
    return _messages("spec", game, body, context)


# Rewards the agent cannot farm (Ng, Harada and Russell 1999): every term is a difference
# gamma * Phi(s') - Phi(s) of a potential, so a cycle that comes back to the same state earns
# nothing. The validator's reward-cycle probe flags rewards that break this.
POTENTIAL_RULE = (
    "Make every term potential-based, so the agent cannot farm it: a signed difference of a "
    "quantity that grows toward done (inventory_diff.wood counts spending as negative; never "
    "jnp.maximum(inventory_diff.wood, 0)), distance shaping as the signed change of the "
    f"distance and 0 while the block is unseen ({UNSEEN_DISTANCE}), no constant per-step bonus."
)

# Refusals of the validator (flowrl.skills.ast_check and runtime_check) stated before the code
# is written, so that a repair round is rarer: the checks a first answer is likeliest to trip,
# chosen from what the checks refuse (no refusal counts from real models are recorded yet).
COMMON_REFUSALS = (
    "The validator commonly refuses: an import line; Python if/and/or/not/bool() on an "
    "array (use jnp.where, jnp.logical_and, ...); a name or function not listed above (a "
    "misspelt inventory field or enum member too; enums only as BlockType.X.value); an array "
    "returned where one scalar is due (reduce with .any(), .all() or .sum()); task_is_done "
    "already true in a fresh world or after one step (compare the gained item or achievement "
    "with n, not nearness); a NaN, infinite or larger than "
    f"{REWARD_LIMIT:g} reward (never divide by what may be 0); a reward earned by walking "
    "forward and back; anything at module level but function definitions and constants "
    "(no nested functions, decorators, *args)."
)
CODE_STYLE = "no docstrings, a comment only where a line is not obvious"


def code_messages(game: GameSpec, context: dict[str, Any]) -> list[Message]:
    """Step 2: plan a dense reward and write the skill module, in one answer."""
    body = (
        "Step reward_code. For the skill `spec`, first plan a dense reward an RL agent can "
        "learn from, using the features above: the signal for the gain itself, shaping toward "
        "what the skill needs (e.g. getting closer to the block to use), and the condition "
        "that makes the skill done for target n. "
        + POTENTIAL_RULE
        + " Then implement the plan following the skill code contract above"
        + (" (`example` is a working skill, for style)" if context.get("example") else "")
        + ": task_is_done is true once the gained quantity reaches n (e.g. inventory.wood "
        ">= n); for achievements or ephemeral gains test the achievement or the nearby block "
        "directly.\n"
        + (
            "`earlier_reward_plans` and `earlier_candidates` are other candidates' plans and "
            "modules for this skill; yours will be trained against them, so make your reward "
            "genuinely different (other shaping terms or weights), keeping the done condition.\n"
            if context.get("earlier_candidates") or context.get("earlier_reward_plans")
            else ""
        )
        + COMMON_REFUSALS
        + "\nAnswer with two blocks and no other text: one ```json block "
        '{"done_when": str, "reward_terms": [{"signal": str, "weight": number, "why": str '
        "(a few words)}]}, then one ```python block with the whole module (" + CODE_STYLE + ")."
    )
    return _messages("reward_code", game, body, context)


def repair_messages(game: GameSpec, context: dict[str, Any]) -> list[Message]:
    """Validate step: fix code that failed validation, given the validator's reasons; the
    answer is edits to the module (or, for a rewrite, the whole module)."""
    body = (
        "Step repair. The module `source` for skill `skill` failed validation with `reasons` "
        '("Line N" is line N of `source`). Fix every reason, following the skill code '
        "contract above, and keep the reward design."
        + (
            " `history` lists the reasons earlier versions of this module failed with: write a "
            "fix that addresses all of them together, so none of those bugs comes back."
            if context.get("history")
            else ""
        )
        + " "
        + COMMON_REFUSALS
        + "\nAnswer with edits only, no other text: one block per change,\n"
        + EDIT_FORMAT
        + "\nwith enough SEARCH lines to occur once in `source`; blocks apply in order. Only if "
        "most of the module must change, answer with the whole module in one ```python block ("
        + CODE_STYLE
        + ") instead."
    )
    return _messages("repair", game, body, context)


def analyse_messages(game: GameSpec, context: dict[str, Any]) -> list[Message]:
    """Analyse step: correct a skill's spec from what rollouts of its trained policy did."""
    body = (
        "Step analyse. `spec` is what we believed about the skill; `rollout` summarises what "
        "the trained policy actually did while executing it (actions, and the steps where "
        "inventory, achievements or floor changed). Correct requirements, consumption and gain "
        "so they match the evidence; keep what the evidence does not contradict (unchanged if "
        "it all holds).\n"
        "When `rollout` has `evidence`, it counts over fresh episodes, while the skill's step "
        "was active: items gained and consumed, achievements unlocked, completions, and the "
        "gains on the steps that completed it (`*_at_completion`: what finishes the skill).\n"
        "Answer with one ```json block: "
        '{"requirements": {key: amount}, "consumption": {key: amount}, "gain": {key: amount}, '
        '"reason": str (what in the rollout supports the change, or "consistent")}.'
    )
    return _messages("analyse", game, body, context)


BUILDERS = {
    "propose_spec": propose_messages,
    "spec": spec_messages,
    "reward_code": code_messages,
    "repair": repair_messages,
    "analyse": analyse_messages,
}
