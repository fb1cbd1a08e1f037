"""`flowrl train`: train the experts of a plan module until it succeeds or the budget ends."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import traceback
from pathlib import Path

from flowrl.cli_args import (
    add_env,
    add_profile,
    add_seed,
    add_toggle,
    add_total_timesteps,
    add_use_wandb,
    spellings,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plan", required=True, help="plan module (.py) to train")
    add_env(parser)
    parser.add_argument("--out", required=True, help="output dir (checkpoint/, train_metrics.csv)")
    parser.add_argument("--init", default=None, help="checkpoint to warm-start experts from")
    add_total_timesteps(parser, help="frame budget (profile default otherwise)")
    parser.add_argument("--config", default=None, help="YAML of training settings")
    add_profile(parser, default=None)  # None: gpu when JAX sees one, else cpu
    parser.add_argument(*spellings("num_envs"), type=int, default=None)
    add_seed(parser, default=None, help="trainer seed (profile default otherwise)")
    parser.add_argument(*spellings("success_threshold"), type=float, default=None)
    add_use_wandb(parser)
    add_toggle(parser, "progress", True, "show the progress bar")


ERROR_LOG = "train_error.log"


def _report_failure(err: BaseException, out: Path) -> int:
    """Print one sentence naming the problem; write the traceback to ``out/train_error.log``."""
    from flowrl.rl.guard import PoisonedTraining
    from flowrl.skills.loader import SkillCodeError

    out.mkdir(parents=True, exist_ok=True)
    log_path = out / ERROR_LOG
    log_path.write_text("".join(traceback.format_exception(err)))
    if isinstance(err, PoisonedTraining):
        sentence = err.reason
    elif isinstance(err, SkillCodeError):
        sentence = f"the plan module does not load: {err}"
    else:
        first = str(err).strip().splitlines()[0] if str(err).strip() else ""
        sentence = f"{type(err).__name__}: {first}".rstrip(": ")
    print(f"flowrl train: error: {sentence} (traceback in {log_path})", file=sys.stderr)
    return 1


def default_profile() -> str:
    import jax

    return "gpu" if jax.default_backend() in ("gpu", "cuda", "rocm") else "cpu"


def run(args: argparse.Namespace) -> int:
    from flowrl.rl.config import load_config
    from flowrl.rl.trainer import train

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    config = load_config(
        args.profile or default_profile(),
        args.config,
        total_timesteps=args.total_timesteps,
        num_envs=args.num_envs,
        seed=args.seed,
        success_threshold=args.success_threshold,
    )
    try:
        result = train(
            args.plan,
            args.env,
            args.out,
            config,
            init=args.init,
            use_wandb=args.use_wandb,
            progress=args.progress,
        )
    except Exception as err:  # one sentence on stderr, the traceback in the log
        return _report_failure(err, Path(args.out))
    summary = {
        "success": result.success,
        "success_rate": result.success_rate,
        "frames": result.frames,
        "updates": result.updates,
        "wall_s": round(result.wall_s, 1),
        "compile_s": round(result.compile_s, 1),
        "warm_started": result.warm_started,
        "stopped_early": result.stopped_early,
        "frames_saved": result.frames_saved,
        "warnings": [w["message"] for w in result.warnings],
        "checkpoint": str(result.checkpoint_dir),
        "metrics": str(result.metrics_csv),
    }
    print(json.dumps(summary, indent=2))
    return 0
