"""The skill-discovery chain as separate steps the pipeline's stages call one at a time, and
the seed-compatible graph API over them (``llm/<env>/llm.py: generate_graph``).

propose (next skill and its spec, one answer) -> code (dense-reward plan and skill module,
one answer) -> validate (validator + bounded LLM repair by edits) and, after training,
analyse (spec corrections from rollouts). Each step builds compact prompts (:mod:`flowrl.llm.prompts`), asks with
strict parsing and bounded re-asks (:func:`flowrl.llm.parsing.ask`) and logs every call.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flowrl.envs.games import GameSpec, as_game
from flowrl.llm import prompts
from flowrl.llm.code_fixes import strip_predefined_imports
from flowrl.llm.console import announce
from flowrl.llm.parsing import (
    ANALYSIS,
    PROPOSAL,
    Answer,
    ParseError,
    ask,
    json_parser,
    json_schema_errors,
    parse_json_block,
    plan_and_code_parser,
    repair_parser,
    skill_spec_schema,
)
from flowrl.llm.providers import get_query
from flowrl.llm.query import PathLike, Query
from flowrl.llm.types import Message
from flowrl.skills.contract import REQUIRED_FUNCTIONS
from flowrl.skills.spec import SkillSpec, SpecError
from flowrl.skills.validator import validate_source

ANALYSIS_FIELDS = ("requirements", "consumption", "gain")


@dataclass
class StepResult:
    """The value a step produced plus token accounting of all its calls."""

    value: Any
    answers: list[Answer] = field(default_factory=list)

    @property
    def prompt_tokens(self) -> int:
        return sum(c.usage.prompt_tokens for a in self.answers for c in a.completions)

    @property
    def completion_tokens(self) -> int:
        return sum(c.usage.completion_tokens for a in self.answers for c in a.completions)

    @property
    def cost_usd(self) -> float | None:
        costs = [c.cost_usd for a in self.answers for c in a.completions]
        return None if any(c is None for c in costs) else float(sum(costs))  # type: ignore[arg-type]


def _max_reasks(query: Query, max_reasks: int | None) -> int:
    return query.settings.max_reasks if max_reasks is None else max_reasks


def check_spec(spec: Any) -> dict[str, Any]:
    """Schema + semantic check of a spec; returns its canonical dict or raises ParseError."""
    errors = json_schema_errors(spec, skill_spec_schema())
    if errors:
        raise ParseError("the spec does not match the schema: " + "; ".join(errors[:5]))
    try:
        return SkillSpec.from_dict(spec).to_dict()
    except SpecError as exc:
        raise ParseError(str(exc)) from exc


# -- prompt -------------------------------------------------------------------------------
def build_prompt(
    game: GameSpec, library: dict[str, Any] | None, siblings: list[str] | None = None
) -> list[Message]:
    """The `prompt` step: the propose messages for the next slot, from the library state
    (``siblings``: skills proposed in the same parallel round, which must not be repeated)."""
    return prompts.propose_messages(game, prompts.propose_context(game, library, siblings=siblings))


# -- propose ------------------------------------------------------------------------------
def propose(
    query: Query,
    game: GameSpec,
    prompt_messages: list[Message],
    library: dict[str, Any] | None,
    *,
    ledger: PathLike | None = None,
    max_reasks: int | None = None,
) -> StepResult:
    """The `propose` step: the next skill and its full spec, in one answer.

    Returns the proposal record: name, description, requirements, consumption, gain, ephemeral.
    A ``prompt.json`` written before both were one answer (step ``propose``) is still
    followed, by two calls (proposal, then spec).
    """
    learned = {s["name"].strip().lower() for s in prompts.library_skills(library)}

    def new_skill(value: dict[str, Any]) -> dict[str, Any]:
        if value["name"].strip().lower() in learned:
            raise ParseError(f"skill {value['name']!r} is already learned; propose a new skill")
        return value

    reasks = _max_reasks(query, max_reasks)
    tagged = prompts.parse_tag(prompt_messages)
    if tagged and tagged[0] == "propose":
        return _propose_then_spec(query, game, prompt_messages, library, new_skill, reasks, ledger)
    answer = ask(
        query,
        prompt_messages,
        lambda text: new_skill(check_spec(parse_json_block(text))),
        purpose="propose",
        max_reasks=reasks,
        ledger=ledger,
    )
    return StepResult(answer.value, [answer])


def _propose_then_spec(
    query: Query,
    game: GameSpec,
    prompt_messages: list[Message],
    library: dict[str, Any] | None,
    new_skill: Callable[[dict[str, Any]], dict[str, Any]],
    reasks: int,
    ledger: PathLike | None,
) -> StepResult:
    """An older ``prompt.json`` (step ``propose``: name, description, gain): its answer,
    then the spec step."""
    first = ask(
        query,
        prompt_messages,
        json_parser(PROPOSAL, new_skill),
        purpose="propose",
        max_reasks=reasks,
        ledger=ledger,
    )
    proposal = first.value
    second = ask(
        query,
        prompts.spec_messages(game, prompts.spec_context(game, proposal, library)),
        json_parser(skill_spec_schema(), check_spec),
        purpose="spec",
        max_reasks=reasks,
        ledger=ledger,
    )
    spec = check_spec({**second.value, "name": proposal["name"]})
    if not spec.get("description"):
        spec["description"] = proposal.get("description", "")
    return StepResult(spec, [first, second])


# -- code ---------------------------------------------------------------------------------
def write_code(
    query: Query,
    game: GameSpec,
    spec: dict[str, Any],
    library: dict[str, Any] | None = None,
    *,
    ledger: PathLike | None = None,
    max_reasks: int | None = None,
    earlier: list[dict[str, Any]] | None = None,
) -> StepResult:
    """The `code` step: a dense-reward plan and the skill module, in one answer.

    ``earlier``: this skill's earlier candidates (``{"source", "reward_plan"}`` each), which
    the prompt shows so the new candidate differs. ``value`` is
    ``{"source": str, "reward_plan": dict}``.
    """
    answer = ask(
        query,
        prompts.code_messages(game, prompts.code_context(game, spec, library, earlier or [])),
        plan_and_code_parser(REQUIRED_FUNCTIONS),
        purpose="code",
        max_reasks=_max_reasks(query, max_reasks),
        ledger=ledger,
    )
    value = answer.value
    return StepResult({"source": value["source"], "reward_plan": value["reward_plan"]}, [answer])


# -- validate -----------------------------------------------------------------------------
Validator = Callable[[str, GameSpec], Any]
"""``validate(source, game) -> result`` with ``.ok`` and ``.reasons``."""


def default_validator(source: str, game: GameSpec) -> Any:
    return validate_source(source, game)


def validate_with_repair(
    query: Query,
    game: GameSpec,
    skill_name: str,
    source: str,
    *,
    validate: Validator = default_validator,
    max_repairs: int | None = None,
    ledger: PathLike | None = None,
    max_reasks: int | None = None,
) -> StepResult:
    """The `validate` step: validate, and while it fails ask the LLM to repair (bounded);
    each repair prompt also lists the reasons of every earlier failed version (bounded). A
    repair answer is edits to the failing module (applied here) or a whole module. Imports
    of predefined names are removed before each validation, without a model
    (:mod:`flowrl.llm.code_fixes`; the round records them as ``local_fixes``).

    ``value``: ``{"ok", "source", "reasons", "rounds": [{"source", "ok", "reasons"}, ...]}``
    (a round may also have ``local_fixes``);
    ``source`` is the last version tried (the valid one when ``ok``).
    """
    repairs = query.settings.max_repairs if max_repairs is None else max_repairs
    rounds: list[dict[str, Any]] = []
    answers: list[Answer] = []
    current = source
    say = getattr(query, "announce", announce)
    for attempt in range(repairs + 1):
        current, removed = strip_predefined_imports(current)
        if removed:
            say(
                f"[llm] {skill_name}: removed {len(removed)} import line(s) of predefined "
                f"names ({removed[0]}), no repair call needed for them"
            )
        result = validate(current, game)
        reasons = [str(r) for r in getattr(result, "reasons", [])]
        rounds.append({"source": current, "ok": bool(result.ok), "reasons": reasons})
        if removed:
            rounds[-1]["local_fixes"] = removed
        if result.ok or attempt == repairs:
            break
        first = reasons[0] if reasons else "validation failed"
        say(
            f"[llm] {skill_name}: repair {attempt + 1}/{repairs}: {first[:200]}"
            + (f" (+{len(reasons) - 1} more)" if len(reasons) > 1 else "")
        )
        answer = ask(
            query,
            prompts.repair_messages(
                game,
                prompts.repair_context(
                    game,
                    skill_name,
                    current,
                    reasons,
                    earlier=[r["reasons"] for r in rounds[:-1]],
                ),
            ),
            repair_parser(current, REQUIRED_FUNCTIONS),
            purpose=f"repair{attempt + 1}",
            max_reasks=_max_reasks(query, max_reasks),
            ledger=ledger,
        )
        answers.append(answer)
        current = answer.value
    last = rounds[-1]
    value = {
        "ok": last["ok"],
        "source": last["source"],
        "reasons": last["reasons"],
        "rounds": rounds,
    }
    return StepResult(value, answers)


# -- analyse ------------------------------------------------------------------------------
def analyse(
    query: Query,
    game: GameSpec,
    spec: dict[str, Any],
    rollout: str | dict[str, Any],
    *,
    ledger: PathLike | None = None,
    max_reasks: int | None = None,
) -> StepResult:
    """The `analyse` step: corrected requirements/consumption/gain from a rollout summary.

    ``rollout`` is the text of ``flowrl.skills.trajectory.summarize_trajectory`` (or a dict).
    ``value``: ``{"name", "requirements", "consumption", "gain", "reason", "changed"}``; all but
    ``changed`` is the answer ``flowrl.skills.trajectory.apply_analysis`` takes.
    """
    base = prompts.spec_only(spec)

    def merged(value: dict[str, Any]) -> dict[str, Any]:
        return check_spec({**base, **{k: value[k] for k in ANALYSIS_FIELDS}})

    answer = ask(
        query,
        prompts.analyse_messages(game, prompts.analyse_context(game, spec, rollout)),
        json_parser(ANALYSIS, merged),
        purpose="analyse",
        max_reasks=_max_reasks(query, max_reasks),
        ledger=ledger,
    )
    new = merged(answer.value)
    value = {"name": base["name"], **{k: new[k] for k in ANALYSIS_FIELDS}}
    value["reason"] = answer.value["reason"]
    value["changed"] = any(new[k] != check_spec(base)[k] for k in ANALYSIS_FIELDS)
    return StepResult(value, [answer])


# -- the seed-compatible graph ------------------------------------------------------------
def empty_library(game: GameSpec) -> dict[str, Any]:
    return {
        "schema_version": 1,
        "env_name": game.env_name,
        "iteration": -1,
        "skills": [],
        "rejected": [],
        "frontier": [],
        "achievements": [],
    }


@dataclass
class SkillGraph:
    """One round of skill discovery for a library state."""

    game: GameSpec
    db: dict[str, Any]
    query: Query
    ledger: PathLike | None = None

    def evaluate(self) -> dict[str, Any]:
        messages = build_prompt(self.game, self.db)
        proposal = propose(self.query, self.game, messages, self.db, ledger=self.ledger)
        code = write_code(self.query, self.game, proposal.value, self.db, ledger=self.ledger)
        result = {
            "spec": proposal.value,
            "source": code.value["source"],
            "reward_plan": code.value["reward_plan"],
            "prompt_tokens": proposal.prompt_tokens + code.prompt_tokens,
            "completion_tokens": proposal.completion_tokens + code.completion_tokens,
        }
        self.db["next_skill"] = result
        return result


@dataclass
class InventoryGraph:
    """Requirements / consumption / gain of a proposed skill (the spec step alone)."""

    game: GameSpec
    db: dict[str, Any]
    query: Query
    ledger: PathLike | None = None

    def evaluate(self, proposal: dict[str, Any]) -> dict[str, Any]:
        answer = ask(
            self.query,
            prompts.spec_messages(self.game, prompts.spec_context(self.game, proposal, self.db)),
            json_parser(skill_spec_schema(), check_spec),
            purpose="spec",
            max_reasks=self.query.settings.max_reasks,
            ledger=self.ledger,
        )
        return check_spec({**answer.value, "name": proposal["name"]})


def generate_graph_for(
    game: GameSpec | str,
    db: dict[str, Any] | None = None,
    return_inventory_graph: bool = False,
    llm_name: str | None = None,
    *,
    ledger: PathLike | None = None,
) -> tuple[Any, ...]:
    """Shared implementation of the per-game ``generate_graph`` (``game``: a spec or name)."""
    game = as_game(game)
    db = empty_library(game) if db is None else db
    query = get_query(llm_name)
    query.preflight()
    graph = SkillGraph(game, db, query, ledger)
    if not return_inventory_graph:
        return db, graph
    return db, graph, InventoryGraph(game, db, query, ledger), None
