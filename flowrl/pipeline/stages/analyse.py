"""Rule file ``analyse.smk`` (``analyse: null`` runs it for real models, ``true``/``false``
force it): rollouts of the trained plan and the spec corrections they support.

``rollout.txt`` holds one sampled episode summarised as text. The evidence comes from fresh
episodes (:func:`flowrl.rl.skill_evidence.collect_evidence`: inventory and achievement
changes while the skill's own plan step was active, and its completions). Both go to the
analyse step (the offline provider corrects the spec from the evidence, a model reads both);
``analysis.json`` holds the corrected spec, the reason and the evidence, and ``commit``
applies it with history. A slot rejected earlier gets both files with the upstream
rejection."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic, write_text_atomic
from flowrl.cli_args import add_num_episodes
from flowrl.envs.games import GameSpec, as_game
from flowrl.llm import chain, prompts
from flowrl.llm.query import Query
from flowrl.llm.settings import LLMSettings
from flowrl.pipeline.layout import SLOT_FILES
from flowrl.pipeline.stages import Stage
from flowrl.pipeline.stages.common import (
    add_env_argument,
    add_llm_arguments,
    query_for,
    settings_of,
    usage_of,
)
from flowrl.pipeline.status import first_rejection, read_json, skipped

EVIDENCE_STEPS = 500  # per evidence episode: enough for a basic skill, cheap to roll out


def rollout_text(checkpoint: Path, steps: int = 300, seed: int = 0) -> str:
    """``summarize_trajectory`` of one episode with sampled actions, as in training (greedy
    argmax policies of young experts often repeat one action)."""
    # JAX-heavy imports, deferred so the light `flowrl slot` stages never load JAX.
    import jax
    import jax.numpy as jnp

    from flowrl.rl.rollout import load_policy
    from flowrl.skills.trajectory import summarize_trajectory

    env, network, params, _ = load_policy(checkpoint)
    key = jax.random.PRNGKey(seed)

    @jax.jit
    def run(key: jax.Array) -> Any:
        obs, state = env.reset(key)

        def body(carry: Any, t: jax.Array) -> Any:
            obs, state = carry
            expert = env.expert_of(state)[None]
            logits = network.apply(params, obs[None], expert, method="policy")
            act_key, env_key = jax.random.split(jax.random.fold_in(key, t))
            action = jax.random.categorical(act_key, logits[0])
            obs2, state2, _, _, _ = env.step(env_key, state, action)
            return (obs2, state2), (state.env_state, action)

        _, (states, actions) = jax.lax.scan(body, (obs, state), jnp.arange(steps))
        return states, actions

    states, actions = run(key)
    return summarize_trajectory(states, actions, env.game)  # the checkpoint's game


def ask_analysis(
    game: GameSpec | str,
    proposal: str | Path,
    rollout: str | Path,
    out: str | Path,
    *,
    ledger: str | Path | None,
    llm_name: str | None = None,
    settings: LLMSettings | None = None,
    query: Query | None = None,
    evidence: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Spec + rollout summary (+ ``evidence``) -> ``analysis.json``; returns it with usage
    under ``_llm``.

    The rollout file holds the text of ``summarize_trajectory`` (or JSON). With
    ``evidence`` the step is shown ``{"summary": text, "evidence": evidence}``.
    ``analysis.json`` is ``{"name", "requirements", "consumption", "gain", "reason",
    "changed"}`` (+ ``evidence``); pass it without ``changed`` to
    ``flowrl.skills.trajectory.apply_analysis``.
    """
    q = query_for(llm_name, settings, query)
    spec = prompts.spec_only(read_json(proposal))
    text = Path(rollout).read_text()
    try:
        summary: Any = json.loads(text)
    except json.JSONDecodeError:
        summary = text
    if evidence is not None:
        summary = {"summary": summary, "evidence": evidence}
    result = chain.analyse(q, as_game(game), spec, summary, ledger=ledger)
    doc = {**result.value, **({"evidence": evidence} if evidence is not None else {})}
    write_json_atomic(out, doc)
    return {**doc, "_llm": usage_of(result)}


def skill_steps(plan_json: str | Path, skill: str) -> list[int]:
    """Indices of the plan steps that run ``skill`` (where its expert acts)."""
    steps = read_json(plan_json).get("steps") or []
    return [k for k, step in enumerate(steps) if step.get("skill") == skill]


def analyse(
    game: GameSpec | str,
    llm_name: str,
    proposal: str | Path,
    train_json: str | Path,
    slot_dir: str | Path,
    ledger: str | Path,
    settings: Any,
    episodes: int = 16,
    query: Query | None = None,
) -> dict[str, Any]:
    """The stage: rollouts of ``slot_dir``'s checkpoint -> ``rollout.txt``, ``analysis.json``."""
    slot_dir = Path(slot_dir)
    out = slot_dir / SLOT_FILES["analysis"]
    rollout = slot_dir / SLOT_FILES["rollout_text"]
    upstream = first_rejection(train_json)
    if upstream:
        doc = skipped("analyse", upstream)
        write_text_atomic(rollout, f"no rollout: {upstream['stage']} rejected the slot\n")
        write_json_atomic(out, doc)
        return doc
    from flowrl.rl.skill_evidence import collect_evidence  # JAX: deferred, as above

    checkpoint = slot_dir / SLOT_FILES["checkpoint"]
    name = read_json(proposal)["name"]
    steps = skill_steps(slot_dir / SLOT_FILES["plan"], name)
    print(f"analyse: rollouts of {name!r} (plan steps {steps})", flush=True)
    text = rollout_text(checkpoint)
    evidence = collect_evidence(checkpoint, steps, episodes=episodes, max_steps=EVIDENCE_STEPS)
    print(f"analyse: evidence {json.dumps(evidence)}", flush=True)
    write_text_atomic(rollout, text)  # the evidence is kept in analysis.json
    return ask_analysis(
        game,
        proposal,
        rollout,
        out,
        ledger=ledger,
        llm_name=llm_name,
        settings=settings,
        query=query,
        evidence=evidence,
    )


def _arguments(p: argparse.ArgumentParser) -> None:
    add_env_argument(p)
    add_llm_arguments(p)
    p.add_argument("--proposal", required=True, help="proposal.json")
    p.add_argument("--train", required=True, help="train.json")
    p.add_argument("--slot-dir", required=True, help="skill_i (checkpoint/ in, analysis.json out)")
    add_num_episodes(p, default=16, help="rollout episodes for the evidence")


def _main(args: argparse.Namespace) -> int:
    analyse(
        args.env,
        args.llm_name,
        args.proposal,
        args.train,
        args.slot_dir,
        args.ledger,
        settings_of(args),
        episodes=args.num_episodes,
    )
    return 0


STAGE = Stage("analyse", "checkpoint rollout -> analysis.json (LLM)", _arguments, _main)
