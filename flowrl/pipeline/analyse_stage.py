"""Slot stage ``analyse`` (optional, ``analyse: true``): one sampled rollout of the trained
plan, summarised as text (``rollout.txt``), and the LLM's spec corrections
(``analysis.json``), which ``commit`` applies with history."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic, write_text_atomic
from flowrl.pipeline.status import first_rejection, skipped


def rollout_text(checkpoint: Path, env_name: str, steps: int = 300, seed: int = 0) -> str:
    """``summarize_trajectory`` of one episode with sampled actions, as in training (greedy
    argmax policies of young experts often repeat one action)."""
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


def analyse(
    env_name: str,
    llm_name: str,
    proposal: str | Path,
    train_json: str | Path,
    slot_dir: str | Path,
    ledger: str | Path,
    settings: Any,
) -> dict[str, Any]:
    from flowrl.llm.steps import analyse_step

    slot_dir = Path(slot_dir)
    out = slot_dir / "analysis.json"
    upstream = first_rejection(train_json)
    if upstream:
        doc = skipped("analyse", upstream)
        write_json_atomic(out, doc)
        return doc
    text = rollout_text(slot_dir / "checkpoint", env_name)
    write_text_atomic(slot_dir / "rollout.txt", text)
    return analyse_step(
        env_name,
        proposal,
        slot_dir / "rollout.txt",
        out,
        ledger=ledger,
        llm_name=llm_name,
        settings=settings,
    )
