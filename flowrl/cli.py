"""`flowrl <step>`: one subcommand per pipeline stage.

Subcommands live in their own modules and are imported lazily, so `flowrl --help`
and light steps never pay for importing JAX. A command module exposes
``add_arguments(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# name -> (module, one-line help). Add a line here when a pipeline stage gains a command.
COMMANDS: dict[str, tuple[str, str]] = {
    "llm": ("flowrl.llm.cli", "check model access (ping) and sum LLM costs (usage)"),
    "validate": (
        "flowrl.skills.validate_cli",
        "check untrusted skill code (AST + sandboxed jit/vmap)",
    ),
    "train": ("flowrl.rl.train_cli", "train one PPO expert per skill of a plan module"),
    "evaluate": ("flowrl.rl.evaluate_cli", "evaluate a checkpoint: eval.json and rollout.gif"),
    "plan": ("flowrl.skills.plan_cli", "resolve a skill into ordered steps over the library"),
    "slot": ("flowrl.pipeline.slot_cli", "run one pipeline stage of a skill slot (workflow rules)"),
    "baseline": (
        "flowrl.pipeline.stages.baseline",
        "plain PPO on the game's reward at the tree's frame budget (results/ENV/baseline_ppo)",
    ),
    "achievements": (
        "flowrl.report.achievements_cli",
        "achievement table of a tree (+ baseline): success rates, Crafter score, 95 percent intervals",
    ),
    "report": ("flowrl.report.cli", "per-tree report: skills.csv/md and curves.png"),
    "compare": ("flowrl.report.compare_cli", "compare the trees (models) of one game"),
    "demo": ("flowrl.pipeline.demo", "offline CPU demo: discover and train a few skills"),
    "doctor": (
        "flowrl.doctor",
        "what a bug report needs: versions, JAX devices, sandbox, keys set",
    ),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    from flowrl.pipeline.job_env import apply_gpu_share

    apply_gpu_share()  # a workflow GPU job's share of its device, before JAX loads
    parser = argparse.ArgumentParser(prog="flowrl", description=__doc__.splitlines()[0])
    from flowrl import __version__

    parser.add_argument("--version", action="version", version=f"flowrl {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="<step>")
    chosen = argv[0] if argv else None
    for name, (module, help_text) in COMMANDS.items():
        p = sub.add_parser(name, help=help_text, description=help_text)
        p.set_defaults(_module=module)
        if name == chosen:  # only the chosen command's module is imported
            importlib.import_module(module).add_arguments(p)
    args = parser.parse_args(argv)
    if not getattr(args, "_module", None):
        parser.print_help()
        return 2
    from flowrl.compile_cache import enable_compilation_cache

    enable_compilation_cache()
    return int(importlib.import_module(args._module).run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
