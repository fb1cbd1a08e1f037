"""Slot stage ``train``: PPO on the plan module, warm-started from the library's experts.

Writes ``checkpoint/`` and ``train_metrics.csv`` (the trainer's) and ``train.json``: the
verdict. Only expected, named failures reject the slot with the reason: a plan that misses
the success threshold, or a plan module the skill loader refuses (:class:`SkillCodeError`).
Anything else (a trainer bug, a broken checkpoint) fails the job loudly, so it never looks
like a result. A slot rejected before training gets an empty ``checkpoint/``; an interrupt
(kill) leaves no outputs, so a rerun retrains. With ``candidates: K`` the winner continues
from its probe's checkpoint for the rest of the budget (``total_timesteps`` less the probe's
frames; ``train.json`` ``probe_frames``), instead of starting over from the library.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic, write_text_atomic
from flowrl.cli_args import add_profile, add_use_wandb
from flowrl.envs.games import GameSpec, as_game
from flowrl.pipeline.config import wandb_from_env
from flowrl.pipeline.jax_runtime import runtime_info
from flowrl.pipeline.layout import CANDIDATE_FILES, SLOT_FILES, candidate_dirs
from flowrl.pipeline.stages import Stage
from flowrl.pipeline.stages.common import add_env_argument
from flowrl.pipeline.stages.warm_start import init_checkpoint
from flowrl.pipeline.status import OK, first_rejection, read_json, rejected, skipped
from flowrl.skills.loader import SkillCodeError
from flowrl.skills.plan_module import load_plan_file
from flowrl.skills.sandbox import drop_secrets


def train(
    game: GameSpec | str,
    tree: str | Path,
    plan_json: str | Path,
    plan_module: str | Path,
    slot_dir: str | Path,
    profile: str,
    settings: dict[str, Any],
    use_wandb: bool = False,
) -> dict[str, Any]:
    game, slot_dir, tree = as_game(game), Path(slot_dir), Path(tree)
    out, metrics = slot_dir / "train.json", slot_dir / "train_metrics.csv"
    shutil.rmtree(slot_dir / "checkpoint", ignore_errors=True)
    upstream = first_rejection(plan_json)
    if upstream:
        return _finish(out, metrics, skipped("train", upstream))

    # JAX-heavy imports, deferred so the light `flowrl slot` stages never load JAX.
    from flowrl.rl.config import load_config
    from flowrl.rl.guard import PoisonedTraining
    from flowrl.rl.trainer import train as run_training

    probe = winner_probe(slot_dir)
    if probe is not None:  # candidates: the winner continues its probe to the full budget
        budget = int(settings.get("total_timesteps") or 0)
        settings = {**settings, "total_timesteps": max(budget - probe[1], 1)}
    config = load_config(profile, None, **settings)
    planned = read_json(plan_json)
    resumed = planned.get("resumed")
    if resumed:  # a retry draws new worlds and actions: the same seed would replay an
        # attempt whose best checkpoint is still its start (a hopeless skill) step for step
        config = config.replace(seed=retry_seed(config.seed, resumed))
    warm = planned.get("warm_start") or {}
    scratch = slot_dir / ".warm_start"
    try:
        plan = load_plan_file(plan_module, game)
        init = probe[0] if probe is not None else init_checkpoint(warm, tree, scratch)
        result = run_training(plan, game, slot_dir, config, init=init, use_wandb=use_wandb)
    except SkillCodeError as exc:  # expected: the loader refuses the plan's code
        return _finish(out, metrics, rejected("train", f"the plan module does not load: {exc}"))
    except PoisonedTraining as exc:  # expected: a step's reward made training non-finite
        return _finish(out, metrics, rejected("train", exc.reason))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    doc: dict[str, Any] = {
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
        "skills": result.skills,  # every skill this checkpoint holds an expert of
        # fresh episodes that completed each plan step (forgetting shows here), frontier
        # starts' step (0: none) and frames past the budget for a run still rising
        "step_completion": result.step_completion,
        # how the window's failed fresh episodes ended, by plan step: starved, killed, out of time
        "failures": result.failures,
        # frames after which the game's reward was added to a hopeless run (or null)
        "game_reward_from": result.game_reward_from,
        "frontier_step": result.frontier_step,
        "extended_frames": result.extended_frames,
        "init": str(init) if init else None,
        "seed": config.seed,  # retries differ (retry_seed)
        "config_hash": config.hash(),
        "jax": runtime_info(),  # backend and devices this training ran on
    }
    if probe is not None:  # frames the winner spent before, on its probe
        doc["probe_frames"] = probe[1]
    if result.success:
        doc = {"status": OK, **doc}
    else:
        # rounded down: a rate just under the threshold must not print as the threshold
        rate = (
            "n/a"
            if doc["success_rate"] is None
            else f"{math.floor(doc['success_rate'] * 1000) / 1000:.3f}"
        )
        reason = (
            f"stopped early: {result.stopped_early}; {result.frames_saved} frames of the budget saved"
            if result.stopped_early
            else f"success rate {rate} stayed below {config.success_threshold} "
            f"after {result.frames} frames"
        )
        doc = rejected("train", reason, **doc)
    return _finish(out, metrics, doc)


def retry_seed(seed: int, resumed: dict[str, Any]) -> int:
    """Seed of a retried skill's training: distinct from the attempt it resumes (slot k)."""
    return seed + 1 + int(resumed["slot"])


def winner_probe(slot_dir: Path) -> tuple[Path, int] | None:
    """(checkpoint, frames) of the winning candidate's probe when ``select`` chose one that
    trained (``candidates.json``); None for a slot without candidates."""
    path = slot_dir / SLOT_FILES["candidates"]
    if not path.is_file():
        return None
    doc = read_json(path)
    record = doc["candidates"][int(doc["winner"])]
    c = int(record["candidate"])
    checkpoint = candidate_dirs(slot_dir, c + 1)[c] / CANDIDATE_FILES["checkpoint"]
    if not record.get("trained") or not (checkpoint / "metadata.json").is_file():
        return None
    return checkpoint, int(record.get("probe_frames") or 0)


def _num(value: float) -> float | None:
    return None if value != value else value


def _finish(out: Path, metrics: Path, doc: dict[str, Any]) -> dict[str, Any]:
    out.with_name("checkpoint").mkdir(exist_ok=True)  # a declared output: always there
    if not metrics.exists():
        from flowrl.rl.trainer import CSV_FIELDS

        write_text_atomic(metrics, ",".join(CSV_FIELDS) + "\n")
    write_json_atomic(out, doc)
    return doc


def _arguments(p: argparse.ArgumentParser) -> None:
    add_env_argument(p)
    p.add_argument("--tree", required=True, help="tree root (library checkpoints are relative)")
    p.add_argument("--plan", required=True, help="plan.json")
    p.add_argument("--module", required=True, help="plan_module.py")
    p.add_argument("--slot-dir", required=True, help="skill_i (gets checkpoint/, train.json)")
    add_profile(p)
    p.add_argument("--settings", default="{}", help="JSON object of TrainConfig settings")
    add_use_wandb(p, default=wandb_from_env())  # the workflow hands it in $FLOWRL_USE_WANDB


def _main(args: argparse.Namespace) -> int:
    drop_secrets()  # this process traces generated code and never calls an LLM
    paths = (args.tree, args.plan, args.module, args.slot_dir)
    doc = train(args.env, *paths, args.profile, json.loads(args.settings), args.use_wandb)
    print(f"train: {doc['status']} {doc.get('reason', '')}")
    return 0


STAGE = Stage(
    "train", "plan_module.py -> checkpoint/, train_metrics.csv, train.json", _arguments, _main
)
