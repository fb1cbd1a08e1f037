"""Slot stage ``train``: PPO on the plan module, warm-started from the library's experts.

Writes ``checkpoint/`` and ``train_metrics.csv`` (the trainer's) and ``train.json``: the
verdict. A plan that misses the success threshold, or code that crashes the trainer, makes
a rejected slot with the reason; an interrupt (kill) leaves no outputs, so a rerun retrains.
"""

from __future__ import annotations

import shutil
import sys
import traceback
from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic, write_text_atomic
from flowrl.pipeline.status import OK, first_rejection, read_json, rejected, skipped
from flowrl.pipeline.warm_start import init_checkpoint


def train(
    env_name: str,
    tree: str | Path,
    plan_json: str | Path,
    plan_module: str | Path,
    slot_dir: str | Path,
    profile: str,
    settings: dict[str, Any],
    use_wandb: bool = False,
) -> dict[str, Any]:
    slot_dir, tree = Path(slot_dir), Path(tree)
    out, metrics = slot_dir / "train.json", slot_dir / "train_metrics.csv"
    shutil.rmtree(slot_dir / "checkpoint", ignore_errors=True)
    upstream = first_rejection(plan_json)
    if upstream:
        return _finish(out, metrics, skipped("train", upstream))

    from flowrl.rl.config import load_config
    from flowrl.rl.trainer import train as run_training

    config = load_config(profile, None, **settings)
    warm = read_json(plan_json).get("warm_start") or {}
    scratch = slot_dir / ".warm_start"
    try:
        init = init_checkpoint(warm, tree, scratch)
        result = run_training(
            plan_module, env_name, slot_dir, config, init=init, use_wandb=use_wandb
        )
    except Exception as exc:  # a skill's code may still break the trainer: reject the slot
        traceback.print_exc(file=sys.stderr)
        return _finish(
            out, metrics, rejected("train", f"training crashed: {type(exc).__name__}: {exc}")
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    doc = {
        "success": bool(result.success),
        "success_rate": None if result.success_rate != result.success_rate else result.success_rate,
        "success_threshold": config.success_threshold,
        "success_interval": result.interval_or_none(),  # 95% Wilson, see docs/training.md
        "success_episodes": result.success_episodes,
        "success_horizon": result.success_horizon,
        "success_policy": result.success_policy,
        "last_success_rate": _num(result.last_success_rate),  # the checkpoint keeps the best
        "warnings": result.warnings,  # e.g. success fell while the return rose
        "stopped_early": result.stopped_early,
        "frames_saved": result.frames_saved,
        "frames": result.frames,
        "updates": result.updates,
        "wall_s": round(result.wall_s, 2),
        "compile_s": round(result.compile_s, 2),
        "warm_started": result.warm_started,
        "init": str(init) if init else None,
        "config_hash": config.hash(),
    }
    if result.success:
        doc = {"status": OK, **doc}
    else:
        rate = "n/a" if doc["success_rate"] is None else f"{doc['success_rate']:.2f}"
        reason = (
            f"stopped early: {result.stopped_early}; {result.frames_saved} frames of the budget saved"
            if result.stopped_early
            else f"success rate {rate} stayed below {config.success_threshold} "
            f"after {result.frames} frames"
        )
        doc = rejected("train", reason, **doc)
    return _finish(out, metrics, doc)


def _num(value: float) -> float | None:
    return None if value != value else value


def _finish(out: Path, metrics: Path, doc: dict[str, Any]) -> dict[str, Any]:
    if not metrics.exists():
        from flowrl.rl.trainer import CSV_FIELDS

        write_text_atomic(metrics, ",".join(CSV_FIELDS) + "\n")
    write_json_atomic(out, doc)
    return doc
