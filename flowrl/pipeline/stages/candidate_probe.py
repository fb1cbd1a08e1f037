"""Rule file ``candidate_probe.smk`` (``candidates: K`` > 1): candidate ``c`` planned,
trained for the probe budget and evaluated on fresh episodes (one GPU job per candidate).

In ``skill_i/candidates/c{c}/`` it runs the slot stages unchanged: ``plan`` (``plan.json``,
``plan_module.py``), ``train`` with ``total_timesteps`` = the probe budget (``train.json``,
``train_metrics.csv``: the probe curve, ``checkpoint/``) and ``evaluate`` without a GIF
(``eval.json``). A candidate rejected earlier flows through as skipped; a probe under the
success threshold is still evaluated, since ``select`` ranks candidates by fresh-episode
success.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from flowrl.cli_args import add_max_episode_steps, add_num_episodes, add_profile, add_seed
from flowrl.envs.games import GameSpec, as_game
from flowrl.pipeline.layout import CANDIDATE_FILES
from flowrl.pipeline.stages import Stage
from flowrl.pipeline.stages.common import add_env_argument
from flowrl.pipeline.stages.evaluate import evaluate
from flowrl.pipeline.stages.plan import plan
from flowrl.pipeline.stages.train import train
from flowrl.skills.sandbox import drop_secrets


def probe(
    game: GameSpec | str,
    tree: str | Path,
    library: str | Path,
    proposal: str | Path,
    candidate_dir: str | Path,
    profile: str,
    settings: dict[str, Any],
    *,
    episodes: int,
    seed: int = 0,
    max_episode_steps: int | None = None,
) -> dict[str, Any]:
    """Plan, probe-train (``settings["total_timesteps"]`` frames) and evaluate a candidate;
    returns its ``eval.json``."""
    game = as_game(game)
    d = Path(candidate_dir)
    files = {key: d / name for key, name in CANDIDATE_FILES.items()}
    plan(
        game,
        library,
        proposal,
        files["validation"],
        files["plan"],
        files["plan_module"],
        tree=tree,
    )
    train(game, tree, files["plan"], files["plan_module"], d, profile, settings)
    return evaluate(files["train"], d, episodes, seed, max_episode_steps, gif=False)


def _arguments(p: argparse.ArgumentParser) -> None:
    add_env_argument(p)
    p.add_argument("--tree", required=True, help="tree root (library checkpoints are relative)")
    p.add_argument("--library", required=True, help="library.json before this round")
    p.add_argument("--proposal", required=True, help="proposal.json")
    p.add_argument("--candidate-dir", required=True, help="skill_i/candidates/c{c}")
    add_profile(p)
    p.add_argument("--settings", default="{}", help="JSON TrainConfig settings (probe budget)")
    add_num_episodes(p)
    add_seed(p, help="evaluation seed")
    add_max_episode_steps(p)


def _main(args: argparse.Namespace) -> int:
    drop_secrets()  # this process runs generated code and never calls an LLM
    doc = probe(
        args.env,
        args.tree,
        args.library,
        args.proposal,
        args.candidate_dir,
        args.profile,
        json.loads(args.settings),
        episodes=args.num_episodes,
        seed=args.seed,
        max_episode_steps=args.max_episode_steps,
    )
    rates = {p: (doc.get(p) or {}).get("success_rate") for p in ("greedy", "sampled")}
    print(f"candidate probe: {doc['status']} fresh-episode success {rates}")
    return 0


STAGE = Stage(
    "candidate_probe",
    "candidates/c{c}: plan, probe training, evaluation -> train.json, eval.json",
    _arguments,
    _main,
)
