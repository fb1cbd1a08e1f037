"""Rule file ``baseline.smk`` / ``flowrl baseline``: plain PPO at the tree's frame budget.

Trains one network on the game's own reward (:mod:`flowrl.rl.baseline`, flowrl's trainer
with the tree's settings) for ``--frames`` frames, then evaluates it on fresh episodes
(:func:`flowrl.rl.evaluate.evaluate`, the same protocol as a slot's plan). Writes under
``results/<env>/baseline_ppo/frames_<F>/seed_<s>/`` (``layout.BASELINE_FILES``):
``checkpoint/``, ``train_metrics.csv``, ``train.json`` and ``eval.json``. It is computed
once per game, budget and seed and shared by every model's comparison.

    flowrl baseline --env Craftax-Classic-Symbolic-v1 --out results/ENV/baseline_ppo/frames_900000/seed_0 \
        --frames 900000 --seed 0 --profile cpu --settings '{"width": 64}'
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from flowrl.atomic_io import write_json_atomic
from flowrl.cli_args import (
    add_env,
    add_max_episode_steps,
    add_num_episodes,
    add_profile,
    add_seed,
    add_use_wandb,
)
from flowrl.envs.games import GameSpec, as_game
from flowrl.pipeline.config import wandb_from_env
from flowrl.pipeline.layout import BASELINE_FILES
from flowrl.pipeline.status import OK


def baseline(
    game: GameSpec | str,
    out_dir: str | Path,
    frames: int,
    seed: int,
    profile: str,
    settings: dict[str, Any],
    num_episodes: int,
    max_episode_steps: int | None,
    use_wandb: bool = False,
) -> dict[str, Any]:
    """Train and evaluate the baseline; returns train.json's document."""
    # JAX-heavy imports, deferred so `flowrl --help` never loads JAX.
    from flowrl.rl.baseline import baseline_config, describe, game_reward_plan
    from flowrl.rl.config import load_config
    from flowrl.rl.evaluate import evaluate
    from flowrl.rl.trainer import train

    game = as_game(game)
    out = Path(out_dir)
    config = baseline_config(load_config(profile, None, **settings), frames, seed)
    print(f"baseline: plain PPO on {game.env_name}, {config.total_timesteps} frames, seed {seed}")
    start = time.perf_counter()
    result = train(game_reward_plan(game), game, out, config, use_wandb=use_wandb, keep="last")
    doc = {
        "status": OK,
        "kind": "baseline_ppo",
        "env_name": game.env_name,
        "frames": result.frames,
        "frames_budget": int(frames),
        "updates": result.updates,
        "wall_s": round(time.perf_counter() - start, 2),
        "compile_s": round(result.compile_s, 2),
        "settings": describe(config),
        "config_hash": config.hash(),
    }
    write_json_atomic(out / BASELINE_FILES["train"], doc)
    evaluation = evaluate(
        out / BASELINE_FILES["checkpoint"],
        num_episodes=num_episodes,
        seed=seed,
        max_episode_steps=max_episode_steps,
    )
    write_json_atomic(out / BASELINE_FILES["eval"], {"status": OK, **evaluation})
    score = evaluation["achievements"]["crafter_score"]
    print(f"baseline: {result.frames} frames in {doc['wall_s']} s; Crafter score {score:.2f}")
    return doc


def add_arguments(p: argparse.ArgumentParser) -> None:
    add_env(p)
    p.add_argument("--out", required=True, help="baseline_ppo/frames_F/seed_S folder")
    p.add_argument("--frames", type=float, required=True, help="frame budget (the tree's)")
    add_seed(p, help="trainer and evaluation seed")
    add_profile(p)
    p.add_argument("--settings", default="{}", help="JSON object of TrainConfig settings")
    add_num_episodes(p)
    add_max_episode_steps(p)
    add_use_wandb(p, default=wandb_from_env())  # the workflow hands it in $FLOWRL_USE_WANDB


def run(args: argparse.Namespace) -> int:
    settings = json.loads(args.settings)
    settings.pop("total_timesteps", None)  # the budget is --frames
    settings.pop("seed", None)  # and the seed --seed
    baseline(
        args.env,
        args.out,
        int(args.frames),
        args.seed,
        args.profile,
        settings,
        args.num_episodes,
        args.max_episode_steps,
        args.use_wandb,
    )
    return 0
