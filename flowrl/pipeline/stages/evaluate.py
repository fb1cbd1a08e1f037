"""Rule file ``evaluate.smk``: fresh episodes of the trained plan -> ``eval.json`` (+ GIF).

A slot that never trained (rejected earlier) gets ``eval.json`` with status skipped; a
slot whose training missed the threshold is still evaluated (its rollout shows why).
With ``--gif``, ``rollout.gif`` shows the first successful episode; when there is none
(or nothing was trained) it is a 1x1 placeholder and ``eval.json`` says why, so the
declared output always exists.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic
from flowrl.cli_args import add_gif, add_max_episode_steps, add_num_episodes, add_seed
from flowrl.pipeline.jax_runtime import runtime_info
from flowrl.pipeline.layout import SLOT_FILES
from flowrl.pipeline.stages import Stage
from flowrl.pipeline.status import OK, read_json, skipped
from flowrl.skills.sandbox import drop_secrets

# A 1x1 transparent GIF: rollout.gif when no episode succeeded.
PLACEHOLDER_GIF = bytes.fromhex(
    "47494638396101000100800000000000ffffff21f90401000000002c00000000010001000002024401003b"
)


def evaluate(
    train_json: str | Path,
    slot_dir: str | Path,
    num_episodes: int,
    seed: int,
    max_episode_steps: int | None,
    gif: bool,
) -> dict[str, Any]:
    slot_dir = Path(slot_dir)
    out = slot_dir / SLOT_FILES["eval"]
    checkpoint = slot_dir / SLOT_FILES["checkpoint"]
    gif_path = slot_dir / SLOT_FILES["gif"]
    gif_path.unlink(missing_ok=True)
    trained = read_json(train_json)
    if not (checkpoint / "metadata.json").is_file():
        upstream = {"stage": trained.get("stage", "train"), "reason": trained.get("reason", "")}
        doc = skipped("evaluate", upstream)
        _placeholder_gif(gif_path, gif)
        write_json_atomic(out, doc)
        return doc
    # JAX-heavy import, deferred so the light `flowrl slot` stages never load JAX.
    from flowrl.rl.evaluate import evaluate as run_eval

    result = run_eval(
        checkpoint,
        num_episodes=num_episodes,
        seed=seed,
        max_episode_steps=max_episode_steps,
        gif_path=gif_path if gif else None,
    )
    _placeholder_gif(gif_path, gif)
    doc = {"status": OK, **result, "jax": runtime_info()}  # the backend it ran on
    write_json_atomic(out, doc)
    return doc


def _placeholder_gif(path: Path, gif: bool) -> None:
    if gif and not path.exists():
        path.write_bytes(PLACEHOLDER_GIF)


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--train", required=True, help="train.json")
    p.add_argument("--slot-dir", required=True, help="skill_i (checkpoint/ in, eval.json out)")
    add_num_episodes(p)
    add_seed(p, help="evaluation seed")
    add_max_episode_steps(p)
    add_gif(p)


def _main(args: argparse.Namespace) -> int:
    drop_secrets()  # this process runs generated code and never calls an LLM
    doc = evaluate(
        args.train, args.slot_dir, args.num_episodes, args.seed, args.max_episode_steps, args.gif
    )
    rate = (doc.get("greedy") or {}).get("success_rate")
    print(f"evaluate: {doc['status']} greedy success {rate}")
    return 0


STAGE = Stage("evaluate", "checkpoint -> eval.json, rollout.gif", _arguments, _main)
