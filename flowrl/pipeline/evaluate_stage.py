"""Slot stage ``evaluate``: fresh episodes of the trained plan -> ``eval.json`` (+ GIF).

A slot that never trained (rejected earlier) gets ``eval.json`` with status skipped; a
slot whose training missed the threshold is still evaluated (its rollout shows why).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic
from flowrl.pipeline.status import OK, read_json, skipped


def evaluate(
    train_json: str | Path,
    slot_dir: str | Path,
    num_episodes: int,
    seed: int,
    max_episode_steps: int | None,
    gif: bool,
) -> dict[str, Any]:
    slot_dir = Path(slot_dir)
    out = slot_dir / "eval.json"
    checkpoint = slot_dir / "checkpoint"
    gif_path = slot_dir / "rollout.gif"
    gif_path.unlink(missing_ok=True)
    trained = read_json(train_json)
    if not (checkpoint / "metadata.json").is_file():
        upstream = {"stage": trained.get("stage", "train"), "reason": trained.get("reason", "")}
        doc = skipped("evaluate", upstream)
        write_json_atomic(out, doc)
        return doc
    from flowrl.rl.evaluate import evaluate as run_eval

    result = run_eval(
        checkpoint,
        num_episodes=num_episodes,
        seed=seed,
        max_episode_steps=max_episode_steps,
        gif_path=gif_path if gif else None,
    )
    doc = {"status": OK, **result}
    write_json_atomic(out, doc)
    return doc
