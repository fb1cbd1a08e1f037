"""`flowrl slot <stage>`: the per-slot pipeline stages the Snakemake rules call.

    flowrl slot init     --env ENV --out TREE/init/library.json
    flowrl slot prompt   --env ENV --library LIB --out skill_i/prompt.json [--siblings P...]
    flowrl slot propose  --env ENV --llm-name M --prompt .. --library .. --out proposal.json
    flowrl slot code     --env ENV --llm-name M --proposal .. --library .. --out skill.py
    flowrl slot validate --env ENV --llm-name M --skill .. --proposal .. --slot-dir skill_i
    flowrl slot candidate_code     --env ENV --llm-name M --proposal .. --library ..
                                   --candidate-dir skill_i/candidates/cC [--earlier c0 ..]
    flowrl slot candidate_validate --env ENV --llm-name M --proposal .. --candidate-dir ..
    flowrl slot candidate_probe    --env ENV --tree TREE --library .. --proposal ..
                                   --candidate-dir .. --profile P --settings JSON
    flowrl slot select   --slot-dir skill_i --candidates K
    flowrl slot plan     --env ENV --library .. --proposal .. --validation .. --out .. --module ..
    flowrl slot train    --env ENV --tree TREE --plan .. --module .. --slot-dir .. --profile P
    flowrl slot analyse  --env ENV --llm-name M --proposal .. --train .. --slot-dir ..
    flowrl slot evaluate --train train.json --slot-dir skill_i [--num-episodes N] [--no-gif]
    flowrl slot commit   --env ENV --previous LIB --slot-dirs skill_i... --out library.json
    flowrl slot start_from --source OTHER_TREE --dest TREE --up-to N

Each stage lives in ``flowrl/pipeline/stages/<rule>.py`` (one module per rule file);
:data:`STAGES` maps the subcommand to it (:data:`DEPRECATED`: old names that still work).
LLM stages append to ``--ledger`` (``skill_i/llm_calls.jsonl``) and cache responses in
``--cache-dir``; ``--llm-settings`` is the workflow config's ``llm:`` section as JSON. Flags
shared with the standalone steps (``flowrl train|evaluate|validate|plan``) come from
:mod:`flowrl.cli_args`: one spelling.
"""

from __future__ import annotations

import argparse
import sys

from flowrl.llm.types import LLMError
from flowrl.pipeline.stages import (
    Stage,
    analyse,
    candidate_code,
    candidate_probe,
    candidate_validate,
    code,
    commit,
    evaluate,
    init,
    plan,
    prompt,
    propose,
    select,
    train,
    validate,
)

STAGES: dict[str, Stage] = {
    stage.name: stage
    for stage in (
        init.INIT,
        prompt.STAGE,
        propose.STAGE,
        code.STAGE,
        validate.STAGE,
        candidate_code.STAGE,
        candidate_validate.STAGE,
        candidate_probe.STAGE,
        select.STAGE,
        plan.STAGE,
        train.STAGE,
        analyse.STAGE,
        evaluate.STAGE,
        commit.STAGE,
        init.START_FROM,
    )
}
# Old subcommand names that still run their stage, with a note to use the new one.
DEPRECATED: dict[str, str] = {"seed": "start_from"}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="stage", metavar="<stage>", required=True)
    for name, stage in STAGES.items():
        stage.add_arguments(sub.add_parser(name, help=stage.help, description=stage.help))
    for old, new in DEPRECATED.items():
        note = f"deprecated name of {new}: {STAGES[new].help}"
        STAGES[new].add_arguments(sub.add_parser(old, help=note, description=note))


def run(args: argparse.Namespace) -> int:
    if args.stage in DEPRECATED:
        new = DEPRECATED[args.stage]
        print(f"flowrl slot {args.stage} is deprecated: use flowrl slot {new}", file=sys.stderr)
        args.stage = new
    try:
        return STAGES[args.stage].main(args)
    except LLMError as exc:  # no retry fixes these (key, model, exhausted retries): fail loudly
        print(f"flowrl slot {args.stage}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
