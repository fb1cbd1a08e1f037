"""`flowrl evaluate`: fresh episodes of a checkpoint's plan -> eval.json (+ rollout.gif)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="checkpoint directory")
    parser.add_argument("--out", required=True, help="output dir (eval.json, rollout.gif)")
    parser.add_argument("--num_episodes", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--max_episode_steps", type=int, default=None)
    parser.add_argument("--no_gif", action="store_true", help="skip rendering the GIF")
    parser.add_argument("--gif_max_frames", type=int, default=400)


def run(args: argparse.Namespace) -> int:
    from flowrl.rl.evaluate import evaluate

    out = Path(args.out)
    result = evaluate(
        args.checkpoint,
        num_episodes=args.num_episodes,
        seed=args.seed,
        max_episode_steps=args.max_episode_steps,
        out_json=out / "eval.json",
        gif_path=None if args.no_gif else out / "rollout.gif",
        gif_max_frames=args.gif_max_frames,
    )
    brief = {p: result[p]["success_pct"] for p in ("greedy", "sampled")}
    print(json.dumps({"eval": str(out / "eval.json"), "success_pct": brief}))
    return 0
