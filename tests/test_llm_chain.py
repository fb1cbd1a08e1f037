"""The prompt chain: offline answers from a knowledge base, strict parsing with bounded
re-asks over the real client, validation repair, analysis, file steps, generate_graph."""

from __future__ import annotations

import json
import sys
from types import SimpleNamespace

import pytest

try:  # tests/ as a package or as a plain directory on sys.path
    from tests.llm_server import API_KEY, FakeOpenAI, ok
except ImportError:  # pragma: no cover
    from llm_server import API_KEY, FakeOpenAI, ok

from flowrl.envs.games import get_game
from flowrl.llm import (
    ConfigurationError,
    LLMError,
    ResponseFormatError,
    chain,
    get_query,
    load_settings,
)
from flowrl.llm.ledger import read_ledger
from flowrl.llm.offline import OfflineSkill, StaticKnowledge, register_knowledge
from flowrl.llm.prompts import context_of, parse_tag
from flowrl.pipeline.stages import analyse, code, prompt, propose, validate
from flowrl.skills.spec import SkillSpec

ENV = "Craftax-Classic-Symbolic-v1"
GAME = get_game(ENV)
SIG_DONE = (
    "inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, "
    "player_intrinsics_diff, achievements, n"
)
SIG_REWARD = (
    "inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, "
    "achievements_diff, health_penalty"
)


def module(item: str) -> str:
    return (
        f"def task_is_done({SIG_DONE}):\n    return inventory.{item} >= n\n\n"
        f"def task_reward({SIG_REWARD}):\n    return inventory_diff.{item} * 1.0 + health_penalty\n\n"
        "def task_network_number():\n    return 0\n"
    )


# A two-skill test knowledge base (test data only; the real KB lives in flowrl/resources).
KB = StaticKnowledge(
    (
        OfflineSkill(
            {
                "name": "Skill A",
                "description": "gets a",
                "requirements": {},
                "consumption": {},
                "gain": {"wood": "lambda n: n"},
                "ephemeral": False,
            },
            module("wood"),
        ),
        OfflineSkill(
            {
                "name": "Skill B",
                "description": "turns a into b",
                "requirements": {"wood": "lambda n: 2*n"},
                "consumption": {"wood": "lambda n: 2*n"},
                "gain": {"stone": "lambda n: n"},
                "ephemeral": False,
            },
            module("stone"),
        ),
    )
)

SPEC_B = {
    "name": "Skill B",
    "description": "d",
    "requirements": {"wood": "lambda n: 2*n"},
    "consumption": {"wood": "lambda n: 2*n"},
    "gain": {"stone": "lambda n: 1*n + 0"},
    "ephemeral": False,
}


@pytest.fixture
def kb():
    register_knowledge(ENV, KB)
    yield KB
    register_knowledge(ENV, None)


@pytest.fixture
def offline(tmp_path):
    return get_query("offline", settings=load_settings(search_defaults=False))


def library_with(*skills: OfflineSkill) -> dict:
    return {
        "skills": [
            {"name": s.name, "spec": s.spec, "code": s.code, "expert": 0, "iteration": i}
            for i, s in enumerate(skills)
        ],
        "rejected": [],
        "frontier": [],
        "achievements": [],
    }


def test_prompts_are_tagged_and_compact(kb):
    messages = chain.build_prompt(GAME, library_with(KB.items[0]))
    assert parse_tag(messages) == ("propose_spec", ENV)
    ctx = context_of(messages)
    assert ctx["skills"] == {"Skill A": {"gain": {"wood": "lambda n: n"}}}  # non-empty fields
    assert "code" not in json.dumps(ctx)  # no skill code in the proposal prompt
    assert sum(len(m["content"]) for m in messages) < 12_000


def test_offline_chain_follows_kb_curriculum(kb, offline, tmp_path):
    ledger = tmp_path / "llm_calls.jsonl"
    lib = library_with()
    first = chain.propose(offline, GAME, chain.build_prompt(GAME, lib), lib, ledger=ledger)
    assert first.value["name"] == "Skill A" and first.value["gain"] == {"wood": "lambda n: n"}
    code = chain.write_code(offline, GAME, first.value, lib, ledger=ledger)
    assert code.value["source"].strip() == KB.items[0].code.strip()
    lib = library_with(KB.items[0])
    second = chain.propose(offline, GAME, chain.build_prompt(GAME, lib), lib, ledger=ledger)
    assert second.value["name"] == "Skill B"
    assert second.value["consumption"] == {"wood": "lambda n: 2*n"}
    recs = list(read_ledger(ledger))
    assert [r["purpose"] for r in recs] == ["propose", "code", "propose"]  # one call each
    assert all(r["cost_usd"] == 0.0 and r["tokens_estimated"] for r in recs)
    assert all(r["prompt_tokens"] == r["prompt_size_tokens_est"] for r in recs)
    lib = library_with(*KB.items)
    with pytest.raises(LLMError, match="exhausted"):
        chain.propose(offline, GAME, chain.build_prompt(GAME, lib), lib)


def test_a_prompt_of_an_older_version_is_proposed_then_specified(kb, offline, tmp_path):
    """A prompt.json written when propose and spec were two calls (step `propose`)."""
    ledger = tmp_path / "llm_calls.jsonl"
    lib = library_with(KB.items[0])
    messages = chain.build_prompt(GAME, lib)
    messages[0]["content"] = messages[0]["content"].replace("step=propose_spec", "step=propose")
    result = chain.propose(offline, GAME, messages, lib, ledger=ledger)
    assert result.value == chain.check_spec(KB.items[1].spec)
    assert [r["purpose"] for r in read_ledger(ledger)] == ["propose", "spec"]


def test_offline_without_kb_names_the_problem(offline, monkeypatch):
    import flowrl.llm.offline as off

    def no_kb(env_name):
        raise ValueError(f"no knowledge base for game family of {env_name!r}")

    monkeypatch.setattr(off, "_REGISTERED", {})
    monkeypatch.setattr(off, "kb_skills", no_kb)  # a game without a knowledge base
    with pytest.raises(ConfigurationError, match="knowledge base"):
        chain.propose(offline, GAME, chain.build_prompt(GAME, None), None)


@pytest.fixture
def server(monkeypatch):
    with FakeOpenAI() as fake:
        monkeypatch.setenv("OPENAI_API_KEY", API_KEY)
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        monkeypatch.delitem(sys.modules, "llm_api", raising=False)
        yield fake


@pytest.fixture
def remote(server, tmp_path):
    s = load_settings(
        search_defaults=False,
        cache_enabled=False,
        max_reasks=2,
        retry={"max_attempts": 2, "base_delay_s": 0.001, "max_delay_s": 0.001},
    )
    return get_query("gpt-4o-mini", settings=s)


def fenced(obj) -> str:
    return "Here it is:\n```json\n" + json.dumps(obj) + "\n```"


def test_malformed_json_is_reasked_with_the_error(server, remote, tmp_path):
    ledger = tmp_path / "l.jsonl"
    server.push(
        ok('{"name": "Skill B"}'),  # not fenced
        ok('```json\n{"name": "Skill B", "description": "d", "gain": {}\n```'),  # bad JSON
        ok(fenced(SPEC_B)),
        ok(fenced({**SPEC_B, "gain": {"stone": "n"}})),  # schema violation
        ok(fenced(SPEC_B)),
    )
    result = chain.propose(remote, GAME, chain.build_prompt(GAME, None), None, ledger=ledger)
    assert result.value["gain"] == {"stone": "lambda n: 1*n + 0"}
    assert result.value["consumption"] == {"wood": "lambda n: 2*n"}  # the spec, same answer
    again = chain.propose(remote, GAME, chain.build_prompt(GAME, None), None, ledger=ledger)
    assert again.value == result.value
    bodies = server.chat_requests()
    assert len(bodies) == 5
    reask = bodies[1]["messages"]
    assert reask[-2]["role"] == "assistant" and "no ```json fenced block" in reask[-1]["content"]
    assert "not valid JSON" in bodies[2]["messages"][-1]["content"]
    assert "gain/stone" in bodies[4]["messages"][-1]["content"]
    assert [r["purpose"] for r in read_ledger(ledger)] == [
        "propose",
        "propose:reask1",
        "propose:reask2",
        "propose",
        "propose:reask1",
    ]


def test_persistent_malformed_answer_fails_after_bounded_reasks(server, remote):
    server.default = lambda req: ok("I think you should collect wood.")
    with pytest.raises(ResponseFormatError, match="3 tries"):
        chain.propose(remote, GAME, chain.build_prompt(GAME, None), None)
    assert len(server.chat_requests()) == 3


def test_already_learned_skill_is_rejected(server, remote):
    server.push(
        ok(fenced({**KB.items[0].spec, "name": "skill a"})),
        ok(fenced(SPEC_B)),
    )
    lib = library_with(KB.items[0])
    assert (
        chain.propose(remote, GAME, chain.build_prompt(GAME, lib), lib).value["name"] == "Skill B"
    )
    assert "already learned" in server.chat_requests()[1]["messages"][-1]["content"]


def test_code_step_answers_plan_and_module_and_requires_both(server, remote):
    plan = {"done_when": "stone >= n", "reward_terms": [{"signal": "stone", "weight": 1}]}
    server.push(
        ok(fenced(plan) + "\n```python\ndef task_reward(x):\n    return 0.0\n```"),
        ok("```python\n" + module("stone") + "```"),  # the plan left out
        ok(fenced(plan) + "\n```python\n" + module("stone") + "```"),
    )
    result = chain.write_code(remote, GAME, SPEC_B)
    assert "task_network_number" in result.value["source"]
    assert result.value["reward_plan"] == plan
    bodies = server.chat_requests()
    assert len(bodies) == 3 and parse_tag(bodies[0]["messages"]) == ("reward_code", ENV)
    assert "task_is_done" in bodies[1]["messages"][-1]["content"]
    assert "no ```json fenced block" in bodies[2]["messages"][-1]["content"]
    system = bodies[0]["messages"][0]["content"]
    assert "The validator commonly refuses: an import line" in system  # rules up front


def test_validate_repairs_with_reasons_and_is_bounded(server, remote, capsys):
    verdicts = iter(
        [
            SimpleNamespace(ok=False, reasons=["line 2: use jnp.where, not if"]),
            SimpleNamespace(ok=True, reasons=[]),
        ]
    )
    server.push(ok("```python\n" + module("stone") + "```"))
    result = chain.validate_with_repair(
        remote, GAME, "Skill B", "bad", validate=lambda s, e: next(verdicts)
    )
    assert result.value["ok"] and len(result.value["rounds"]) == 2
    ctx = context_of(server.chat_requests()[0]["messages"])
    assert ctx["reasons"] == ["line 2: use jnp.where, not if"] and ctx["source"] == "bad"
    said = capsys.readouterr().err  # one console line per repair round
    assert said.count("[llm] Skill B: repair 1/2: line 2: use jnp.where, not if") == 1

    server.default = lambda req: ok("```python\n" + module("stone") + "```")
    never = chain.validate_with_repair(
        remote,
        GAME,
        "Skill B",
        "bad",
        max_repairs=2,
        validate=lambda s, e: SimpleNamespace(ok=False, reasons=["still wrong"]),
    )
    assert not never.value["ok"] and len(never.value["rounds"]) == 3
    assert never.value["reasons"] == ["still wrong"]


def test_a_repair_may_answer_edits_which_are_applied_to_the_module(server, remote):
    """Edits (search/replace blocks) instead of the whole module; one that does not match
    is re-asked with the reason, and the prompt asks for edits."""
    broken = "import numpy as np\n" + module("stone").replace("* 1.0", "* 2")
    seen = []

    def validate_(source, env):
        seen.append(source)
        return SimpleNamespace(ok=source == module("stone"), reasons=["Line 1: remove the import"])

    server.push(
        ok("<<<<<<< SEARCH\nimport numpy\n=======\n>>>>>>> REPLACE"),  # not a line of the module
        ok(
            "<<<<<<< SEARCH\nimport numpy as np\n=======\n>>>>>>> REPLACE\n"
            "<<<<<<< SEARCH\n    return inventory_diff.stone * 2 + health_penalty\n=======\n"
            "    return inventory_diff.stone * 1.0 + health_penalty\n>>>>>>> REPLACE"
        ),
    )
    result = chain.validate_with_repair(remote, GAME, "Skill B", broken, validate=validate_)
    assert result.value["ok"] and result.value["source"] == module("stone") == seen[-1]
    bodies = server.chat_requests()
    assert "<<<<<<< SEARCH" in bodies[0]["messages"][0]["content"]
    assert "are not in the module" in bodies[1]["messages"][-1]["content"]
    assert context_of(bodies[0]["messages"])["source"] == broken


def test_analyse_returns_an_answer_the_library_can_apply(server, remote):
    from flowrl.skills.trajectory import ANALYSIS_FIELDS, apply_analysis

    server.push(
        ok(fenced({"requirements": {}, "consumption": {}, "gain": {"stone": "n"}, "reason": "r"})),
        ok(
            fenced(
                {
                    "requirements": {"wood": "lambda n: n"},
                    "consumption": {"wood": "lambda n: n"},
                    "gain": {"stone": "lambda n: n"},
                    "reason": "used 1 wood per stone",
                }
            )
        ),
    )
    rollout = "Steps: 40\nChanges:\n  t=12 after DO: wood -1 (now 0); stone +1 (now 1)"
    out = chain.analyse(remote, GAME, SPEC_B, rollout)
    assert out.value["changed"] and out.value["consumption"] == {"wood": "lambda n: n"}
    assert "gain" in server.chat_requests()[1]["messages"][-1]["content"]  # re-asked
    assert context_of(server.chat_requests()[0]["messages"])["rollout"] == rollout

    class Lib:  # the two methods apply_analysis uses
        def get(self, name):
            return SimpleNamespace(spec=SkillSpec.from_dict(SPEC_B))

        def update_spec(self, name, spec, iteration, note):
            self.updated = (name, spec, note)

    lib = Lib()
    answer = {k: out.value[k] for k in ("name", "reason", *ANALYSIS_FIELDS)}
    spec = apply_analysis(lib, "Skill B", answer, iteration=3)
    assert spec.to_dict()["consumption"] == {"wood": "lambda n: n"}
    assert lib.updated[2] == "used 1 wood per stone"


def test_file_steps_with_offline(kb, offline, tmp_path):
    slot = tmp_path / "skill_0"
    ledger = slot / "llm_calls.jsonl"
    prompt.prompt(ENV, None, slot / "prompt.json")
    proposal = propose.propose(
        ENV, slot / "prompt.json", None, slot / "proposal.json", ledger=ledger, query=offline
    )
    assert proposal["name"] == "Skill A" and proposal["_llm"]["calls"] == 1
    on_disk = json.loads((slot / "proposal.json").read_text())
    assert SkillSpec.from_dict(on_disk).to_dict() == on_disk  # the library reads it as a spec
    code.write_code(
        ENV, slot / "proposal.json", None, slot / "skill.py", ledger=ledger, query=offline
    )
    assert (slot / "skill.py").read_text().strip() == KB.items[0].code.strip()
    report = validate.validate(
        ENV,
        slot / "skill.py",
        slot / "proposal.json",
        slot,
        ledger=ledger,
        query=offline,
        validator=lambda s, e: SimpleNamespace(ok=True, reasons=[]),
    )
    assert report["ok"] and (slot / "validated" / "skill.py").is_file()
    json.dumps(json.loads((slot / "validation.json").read_text()))
    (slot / "rollout.txt").write_text("Steps: 3\nChanges: none")
    analysis = analyse.ask_analysis(
        ENV,
        slot / "proposal.json",
        slot / "rollout.txt",
        slot / "analysis.json",
        ledger=ledger,
        query=offline,
    )
    assert analysis["name"] == "Skill A" and not analysis["changed"]
    assert len(list(read_ledger(ledger))) == 3


def test_generate_graph_offline_and_fabrax_message(kb, monkeypatch):
    from flowrl.llm.craftax_classic.llm import generate_graph
    from flowrl.llm.fabrax import llm as fabrax

    db, graph, inventory_graph, reuse = generate_graph(
        return_inventory_graph=True, llm_name="offline"
    )
    assert reuse is None and db["skills"] == []
    result = graph.evaluate()
    assert result["spec"]["name"] == "Skill A" and db["next_skill"] is result
    spec = inventory_graph.evaluate({"name": "Skill B", "description": "", "gain": {}})
    assert spec["requirements"] == {"wood": "lambda n: 2*n"}
    monkeypatch.setitem(sys.modules, "flowrl.envs.fabrax", None)
    with pytest.raises(ConfigurationError, match=r"flowrl\.envs\.fabrax"):
        fabrax.generate_graph(llm_name="offline")


def test_repair_prompt_carries_the_allowlist_refusals(server, remote):
    """A hostile answer is refused by the real validator and the model is told why."""
    from flowrl.skills.validator import validate_source

    hostile = module("wood").replace(
        "return inventory_diff.wood * 1.0", "return jnp.sum.__globals__['os'].system('id') * 1.0"
    )
    server.push(ok("```python\n" + module("wood") + "```"))
    result = chain.validate_with_repair(
        remote, GAME, "Skill A", hostile, validate=lambda s, e: validate_source(s, e)
    )
    reasons = context_of(server.chat_requests()[0]["messages"])["reasons"]
    assert any("`jnp.sum` must be used as it is" in r for r in reasons), reasons
    assert result.value["ok"] and len(result.value["rounds"]) == 2


def test_repair_prompt_lists_earlier_attempts_reasons(server, remote):
    """A model cycling between bugs is shown every earlier reason, within a bound."""
    verdicts = iter(
        [
            SimpleNamespace(ok=False, reasons=["line 2: use jnp.where, not if"]),
            SimpleNamespace(ok=False, reasons=["task_reward returns int32, need float"]),
            SimpleNamespace(ok=False, reasons=["line 2: use jnp.where, not if"]),
            SimpleNamespace(ok=True, reasons=[]),
        ]
    )
    server.default = lambda req: ok("```python\n" + module("stone") + "```")
    result = chain.validate_with_repair(
        remote, GAME, "Skill B", "v0", validate=lambda s, e: next(verdicts), max_repairs=3
    )
    assert result.value["ok"] and len(result.value["rounds"]) == 4
    bodies = server.chat_requests()
    first, second, third = (context_of(b["messages"]) for b in bodies)
    assert "history" not in first
    assert second["history"] == [{"attempt": 1, "reasons": ["line 2: use jnp.where, not if"]}]
    assert [h["attempt"] for h in third["history"]] == [1, 2]
    assert third["reasons"] == ["line 2: use jnp.where, not if"]
    assert "addresses all of them" in bodies[2]["messages"][0]["content"]

    from flowrl.llm.prompts import MAX_HISTORY_CHARS, repair_history

    long = [["x" * 1000, "y" * 1000]] * 30
    kept = repair_history(long)
    assert kept[-1]["attempt"] == 30 and len(json.dumps(kept)) < MAX_HISTORY_CHARS + 400


def test_imports_of_predefined_names_are_removed_without_a_repair_call(server, remote, capsys):
    """The commonest refusal costs no model call; any other import still goes to repair."""
    from flowrl.llm.code_fixes import strip_predefined_imports
    from flowrl.skills.validator import validate_source

    header = "import jax\nimport jax.numpy as jnp\nfrom craftax.constants import BlockType\n"
    result = chain.validate_with_repair(
        remote, GAME, "Skill A", header + module("wood"), validate=validate_source
    )
    assert result.value["ok"] and result.value["source"] == module("wood")
    assert len(result.value["rounds"]) == 1 and not server.chat_requests()
    assert result.value["rounds"][0]["local_fixes"][0] == "import jax"
    assert "removed 3 import line(s) of predefined names" in capsys.readouterr().err

    kept = "import numpy as np\nfrom jax import lax\nimport jax as j\nimport jax; x = 1\n"
    assert strip_predefined_imports(kept) == (kept, [])
    assert strip_predefined_imports("def (") == ("def (", [])


def test_offline_repairs_with_edits_only_when_the_prompt_asks_for_them(kb):
    """The offline provider (and so the billing benchmark) answers in the asked format."""
    from flowrl.llm.offline import OfflineProvider, edits_answer
    from flowrl.llm.parsing import apply_edits
    from flowrl.llm.prompts import repair_context, repair_messages

    good = module("stone")
    broken = good.replace("* 1.0", "* np.float32(1)")
    edits = edits_answer(broken, good)
    assert edits and edits.count("<<<<<<< SEARCH") == 1 and apply_edits(broken, edits) == good
    assert edits_answer("x = 1\n", "y = 2\n") is None  # edits longer than the module itself
    messages = repair_messages(GAME, repair_context(GAME, "Skill B", broken, ["Line 5: np"]))
    assert OfflineProvider().answer(messages) == edits
    messages[0]["content"] = messages[0]["content"].split("Answer with edits")[0]  # older prompt
    assert OfflineProvider().answer(messages).startswith("```python\n")
