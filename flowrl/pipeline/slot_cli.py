"""`flowrl slot <stage>`: the per-slot pipeline stages the Snakemake rules call.

    flowrl slot init     --env ENV --out TREE/init/library.json
    flowrl slot prompt   --env ENV --library LIB --out skill_i/prompt.json [--siblings P...]
    flowrl slot propose  --env ENV --llm_name M --prompt .. --library .. --out proposal.json
    flowrl slot code     --env ENV --llm_name M --proposal .. --library .. --out skill.py
    flowrl slot validate --env ENV --llm_name M --skill .. --proposal .. --slot-dir skill_i
    flowrl slot plan     --env ENV --library .. --proposal .. --validation .. --out .. --module ..
    flowrl slot train    --env ENV --tree TREE --plan .. --module .. --slot-dir .. --profile P
    flowrl slot analyse  --env ENV --llm_name M --proposal .. --train .. --slot-dir ..
    flowrl slot evaluate --train train.json --slot-dir skill_i [--episodes N]
    flowrl slot commit   --env ENV --previous LIB --slot-dirs skill_i... --out library.json
    flowrl slot seed     --source OTHER_TREE --dest TREE --up-to N

LLM stages append to ``--ledger`` (``skill_i/llm_calls.jsonl``) and cache responses in
``--cache-dir``; ``--llm-settings`` is a JSON object of ``config/llm.yaml`` keys.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _llm_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--llm_name", "--llm-name", dest="llm_name", required=True)
    p.add_argument("--ledger", required=True, help="llm_calls.jsonl to append to")
    p.add_argument("--cache-dir", default=None, help="LLM response cache folder")
    p.add_argument("--llm-settings", default="{}", help="JSON object of llm settings")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="stage", metavar="<stage>", required=True)

    def stage(name: str, help_text: str, env: bool = True) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=help_text)
        if env:
            p.add_argument("--env", "--env_name", dest="env", required=True)
        return p

    p = stage("init", "write the empty library of a tree")
    p.add_argument("--out", required=True)
    p = stage("prompt", "library -> prompt.json (no LLM)")
    p.add_argument("--library", required=True)
    p.add_argument("--siblings", nargs="*", default=[], help="proposal.json of earlier siblings")
    p.add_argument("--out", required=True)
    p = stage("propose", "prompt.json -> proposal.json (LLM)")
    _llm_args(p)
    p.add_argument("--prompt", required=True)
    p.add_argument("--library", required=True)
    p.add_argument("--out", required=True)
    p = stage("code", "proposal.json -> skill.py (LLM)")
    _llm_args(p)
    p.add_argument("--proposal", required=True)
    p.add_argument("--library", required=True)
    p.add_argument("--out", required=True)
    p = stage("validate", "skill.py -> validation.json (+ validated/skill.py), LLM repair")
    _llm_args(p)
    p.add_argument("--skill", required=True)
    p.add_argument("--proposal", required=True)
    p.add_argument("--slot-dir", required=True)
    p = stage("plan", "validated skill + library -> plan.json, plan_module.py")
    p.add_argument("--library", required=True)
    p.add_argument("--proposal", required=True)
    p.add_argument("--validation", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--module", required=True)
    p = stage("train", "plan_module.py -> checkpoint/, train_metrics.csv, train.json")
    p.add_argument("--tree", required=True, help="tree root (library checkpoints are relative)")
    p.add_argument("--plan", required=True)
    p.add_argument("--module", required=True)
    p.add_argument("--slot-dir", required=True)
    p.add_argument("--profile", default="cpu")
    p.add_argument("--settings", default="{}", help="JSON object of TrainConfig settings")
    p.add_argument("--use-wandb", action="store_true")
    p = stage("analyse", "checkpoint rollout -> analysis.json (LLM)")
    _llm_args(p)
    p.add_argument("--proposal", required=True)
    p.add_argument("--train", required=True)
    p.add_argument("--slot-dir", required=True)
    p = stage("evaluate", "checkpoint -> eval.json, rollout.gif", env=False)
    p.add_argument("--train", required=True)
    p.add_argument("--slot-dir", required=True)
    p.add_argument("--episodes", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--max-episode-steps", type=int, default=None)
    p.add_argument("--gif", action=argparse.BooleanOptionalAction, default=True)
    p = stage("commit", "merge a round's slots into library.json")
    p.add_argument("--previous", required=True, help="library.json before the round")
    p.add_argument("--slot-dirs", nargs="+", required=True)
    p.add_argument("--out", required=True)
    p = stage("seed", "copy the first slots of another tree (start_from)", env=False)
    p.add_argument("--source", required=True)
    p.add_argument("--dest", required=True)
    p.add_argument("--up-to", type=int, required=True)


def _settings(args: argparse.Namespace):
    from flowrl.pipeline.llm_stages import llm_settings

    return llm_settings(json.loads(args.llm_settings), args.cache_dir)


def run(args: argparse.Namespace) -> int:
    from flowrl.llm.errors import LLMError

    try:
        return _run(args)
    except LLMError as exc:
        print(f"flowrl slot {args.stage}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


def _run(args: argparse.Namespace) -> int:
    from flowrl.pipeline import llm_stages

    s = args.stage
    if s == "init":
        llm_stages.init_library(args.env, args.out)
    elif s == "prompt":
        llm_stages.prompt(args.env, args.library, args.out, args.siblings)
    elif s == "propose":
        doc = llm_stages.propose(
            args.env,
            args.llm_name,
            args.prompt,
            args.library,
            args.out,
            args.ledger,
            _settings(args),
        )
        print(f"proposal: {doc.get('name') or doc.get('reason')}")
    elif s == "code":
        llm_stages.code(
            args.env,
            args.llm_name,
            args.proposal,
            args.library,
            args.out,
            args.ledger,
            _settings(args),
        )
    elif s == "validate":
        doc = llm_stages.validate(
            args.env,
            args.llm_name,
            args.skill,
            args.proposal,
            args.slot_dir,
            args.ledger,
            _settings(args),
        )
        print(f"validation: {'ok' if doc['ok'] else 'rejected: ' + '; '.join(doc['reasons'])}")
    elif s == "plan":
        from flowrl.pipeline.plan_stage import plan

        doc = plan(args.env, args.library, args.proposal, args.validation, args.out, args.module)
        print(
            f"plan: {doc.get('status')} {' -> '.join(st['skill'] for st in doc.get('steps', []))}"
        )
    elif s == "train":
        from flowrl.pipeline.train_stage import train

        doc = train(
            args.env,
            args.tree,
            args.plan,
            args.module,
            args.slot_dir,
            args.profile,
            json.loads(args.settings),
            args.use_wandb,
        )
        print(f"train: {doc['status']} {doc.get('reason', '')}")
    elif s == "analyse":
        from flowrl.pipeline.analyse_stage import analyse

        analyse(
            args.env,
            args.llm_name,
            args.proposal,
            args.train,
            args.slot_dir,
            args.ledger,
            _settings(args),
        )
    elif s == "evaluate":
        from flowrl.pipeline.evaluate_stage import evaluate

        doc = evaluate(
            args.train, args.slot_dir, args.episodes, args.seed, args.max_episode_steps, args.gif
        )
        rate = (doc.get("greedy") or {}).get("success_rate")
        print(f"evaluate: {doc['status']} greedy success {rate}")
    elif s == "commit":
        from flowrl.pipeline.commit import commit
        from flowrl.pipeline.paths import SlotPaths

        commit(args.env, args.previous, [SlotPaths(Path(d)) for d in args.slot_dirs], args.out)
    elif s == "seed":
        from flowrl.pipeline.seed import seed

        doc = seed(args.source, args.dest, args.up_to)
        print(f"seeded {', '.join(doc['slots'])} from {doc['source']}")
    return 0
