"""Rule file ``analyse.smk`` (optional, ``analyse: true``): one sampled rollout of the
trained plan, summarised as text (``rollout.txt``), and the LLM's spec corrections
(``analysis.json``), which ``commit`` applies with history. A slot rejected earlier gets
both files with the upstream rejection."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic, write_text_atomic
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


def rollout_text(checkpoint: Path, env_name: str, steps: int = 300, seed: int = 0) -> str:
    """``summarize_trajectory`` of one episode with sampled actions, as in training (greedy
    argmax policies of young experts often repeat one action)."""
    # JAX-heavy imports, deferred so the light `flowrl slot` stages never load JAX.
    import jax
    import jax.numpy as jnp

    from flowrl.rl.evaluate import load_policy
    from flowrl.skills.trajectory import summarize_trajectory

    env, network, params, _ = load_policy(checkpoint)
    key = jax.random.PRNGKey(seed)

    @jax.jit
    def run(key: jax.Array) -> Any:
        obs, state = env.reset(key)

        def body(carry: Any, t: jax.Array) -> Any:
            obs, state = carry
            expert = env.expert_index(state.player_state)[None]
            logits = network.apply(params, obs[None], expert, method="policy")
            act_key, env_key = jax.random.split(jax.random.fold_in(key, t))
            action = jax.random.categorical(act_key, logits[0])
            obs2, state2, _, _, _ = env.step(env_key, state, action)
            return (obs2, state2), (state.env_state, action)

        _, (states, actions) = jax.lax.scan(body, (obs, state), jnp.arange(steps))
        return states, actions

    states, actions = run(key)
    return summarize_trajectory(states, actions, env_name)


def ask_analysis(
    env_name: str,
    proposal: str | Path,
    rollout: str | Path,
    out: str | Path,
    *,
    ledger: str | Path | None,
    llm_name: str | None = None,
    settings: LLMSettings | None = None,
    query: Query | None = None,
) -> dict[str, Any]:
    """Spec + rollout summary -> ``analysis.json``; returns it with usage under ``_llm``.

    The rollout file holds the text of ``summarize_trajectory`` (or JSON). ``analysis.json``
    is ``{"name", "requirements", "consumption", "gain", "reason", "changed"}``; pass it
    without ``changed`` to ``flowrl.skills.trajectory.apply_analysis``.
    """
    q = query_for(llm_name, settings, query)
    spec = prompts.spec_only(read_json(proposal))
    text = Path(rollout).read_text()
    try:
        summary: Any = json.loads(text)
    except json.JSONDecodeError:
        summary = text
    result = chain.analyse(q, env_name, spec, summary, ledger=ledger)
    write_json_atomic(out, result.value)
    return {**result.value, "_llm": usage_of(result)}


def analyse(
    env_name: str,
    llm_name: str,
    proposal: str | Path,
    train_json: str | Path,
    slot_dir: str | Path,
    ledger: str | Path,
    settings: Any,
) -> dict[str, Any]:
    slot_dir = Path(slot_dir)
    out = slot_dir / SLOT_FILES["analysis"]
    rollout = slot_dir / SLOT_FILES["rollout_text"]
    upstream = first_rejection(train_json)
    if upstream:
        doc = skipped("analyse", upstream)
        write_text_atomic(rollout, f"no rollout: {upstream['stage']} rejected the slot\n")
        write_json_atomic(out, doc)
        return doc
    text = rollout_text(slot_dir / SLOT_FILES["checkpoint"], env_name)
    write_text_atomic(rollout, text)
    return ask_analysis(
        env_name, proposal, rollout, out, ledger=ledger, llm_name=llm_name, settings=settings
    )


def _arguments(p: argparse.ArgumentParser) -> None:
    add_env_argument(p)
    add_llm_arguments(p)
    p.add_argument("--proposal", required=True, help="proposal.json")
    p.add_argument("--train", required=True, help="train.json")
    p.add_argument("--slot-dir", required=True, help="skill_i (checkpoint/ in, analysis.json out)")


def _main(args: argparse.Namespace) -> int:
    analyse(
        args.env,
        args.llm_name,
        args.proposal,
        args.train,
        args.slot_dir,
        args.ledger,
        settings_of(args),
    )
    return 0


STAGE = Stage("analyse", "checkpoint rollout -> analysis.json (LLM)", _arguments, _main)
