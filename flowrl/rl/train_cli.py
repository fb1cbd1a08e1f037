"""`flowrl train`: train the experts of a plan module until it succeeds or the budget ends."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import traceback
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--plan", required=True, help="plan module (.py) to train")
    parser.add_argument("--env", required=True, dest="env_name", help="craftax env name")
    parser.add_argument("--out", required=True, help="output dir (checkpoint/, train_metrics.csv)")
    parser.add_argument("--init", default=None, help="checkpoint to warm-start experts from")
    parser.add_argument("--total_timesteps", type=float, default=None, help="step budget (5e6)")
    parser.add_argument("--config", default=None, help="YAML of training settings")
    parser.add_argument("--profile", default=None, choices=("cpu", "gpu"), help="preset")
    parser.add_argument("--num_envs", type=int, default=None)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--success_threshold", type=float, default=None)
    parser.add_argument("--use_wandb", action="store_true", help="log to W&B (offline default)")
    parser.add_argument("--no_progress", action="store_true", help="hide the progress bar")


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
            args.env_name,
            args.out,
            config,
            init=args.init,
            use_wandb=args.use_wandb,
            progress=not args.no_progress,
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
