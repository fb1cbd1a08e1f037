"""`flowrl evaluate`: fresh episodes of a checkpoint's plan -> eval.json (+ rollout.gif)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from flowrl.cli_args import add_gif, add_max_episode_steps, add_num_episodes, add_seed, spellings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--checkpoint", required=True, help="checkpoint directory")
    parser.add_argument("--out", required=True, help="output dir (eval.json, rollout.gif)")
    add_num_episodes(parser)
    add_seed(parser, help="evaluation seed")
    add_max_episode_steps(parser)
    add_gif(parser)
    parser.add_argument(*spellings("gif_max_frames"), type=int, default=400)


def run(args: argparse.Namespace) -> int:
    from flowrl.rl.evaluate import evaluate

    out = Path(args.out)
    result = evaluate(
        args.checkpoint,
        num_episodes=args.num_episodes,
        seed=args.seed,
        max_episode_steps=args.max_episode_steps,
        out_json=out / "eval.json",
        gif_path=out / "rollout.gif" if args.gif else None,
        gif_max_frames=args.gif_max_frames,
    )
    brief = {p: result[p]["success_pct"] for p in ("greedy", "sampled")}
    print(json.dumps({"eval": str(out / "eval.json"), "success_pct": brief}))
    return 0
