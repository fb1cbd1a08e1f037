"""One spelling per flag: `flowrl slot <stage>`, the standalone steps and the drivers share
their flags (flowrl/cli_args.py); dashes first, the seed project's underscores as aliases."""

from __future__ import annotations

import argparse
import importlib

import pytest

from flowrl.bottomup import build_parser
from flowrl.cli import COMMANDS
from flowrl.cli_args import add_toggle, spellings
from flowrl.pipeline.slot_cli import STAGES

# standalone step -> the slot stage a workflow rule runs for it
TWINS = ("train", "evaluate", "validate", "plan")


def standalone(name: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"flowrl {name}")
    importlib.import_module(COMMANDS[name][0]).add_arguments(p)
    return p


def slot(stage: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog=f"flowrl slot {stage}")
    STAGES[stage].add_arguments(p)
    return p


def subcommands(p: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The subparsers of a command with subcommands (``flowrl llm ping|usage``)."""
    found: dict[str, argparse.ArgumentParser] = {}
    for action in p._actions:
        if isinstance(action, argparse._SubParsersAction):
            found |= action.choices
    return found


def every_parser() -> dict[str, argparse.ArgumentParser]:
    parsers = {f"flowrl {name}": standalone(name) for name in COMMANDS if name != "slot"}
    for name in list(parsers):
        parsers |= {f"{name} {sub}": p for sub, p in subcommands(parsers[name]).items()}
    parsers |= {f"flowrl slot {stage}": slot(stage) for stage in STAGES}
    parsers["bottomup"] = build_parser()
    parsers["bottomup_parallel"] = build_parser(parallel=True)
    return parsers


def options(p: argparse.ArgumentParser) -> dict[str, list[str]]:
    return {a.dest: list(a.option_strings) for a in p._actions if a.option_strings}


def test_spellings_put_dashes_first() -> None:
    assert spellings("num_episodes", "--episodes") == [
        "--num-episodes",
        "--num_episodes",
        "--episodes",
    ]
    assert spellings("seed") == ["--seed"]


@pytest.mark.parametrize("name", sorted(every_parser()))
def test_each_flag_is_spelled_with_dashes_first(name: str) -> None:
    for dest, strings in options(every_parser()[name]).items():
        long = [s for s in strings if s.startswith("--")]
        assert long and "_" not in long[0], f"{name}: {dest} is first spelled {long[:1]}"
        for s in long:
            if "_" in s and not s.startswith("--no_"):
                assert s.replace("_", "-") in long, f"{name}: {s} has no dashed twin"


@pytest.mark.parametrize("step", TWINS)
def test_a_step_and_its_slot_stage_spell_shared_flags_alike(step: str) -> None:
    alone, in_slot = options(standalone(step)), options(slot(step))
    shared = set(alone) & set(in_slot) - {"help"}
    assert shared, step
    for dest in shared:
        assert alone[dest] == in_slot[dest], (step, dest)


def test_toggle_takes_every_spelling() -> None:
    p = argparse.ArgumentParser()
    add_toggle(p, "use_wandb", None, "")
    assert p.parse_args([]).use_wandb is None
    for flag, value in [
        ("--use-wandb", True),
        ("--use_wandb", True),
        ("--no-use-wandb", False),
        ("--no-use_wandb", False),
        ("--no_use_wandb", False),
    ]:
        assert p.parse_args([flag]).use_wandb is value, flag
    assert p.parse_args(["--use-wandb", "--no-use_wandb"]).use_wandb is False  # last wins


def same(p: argparse.ArgumentParser, old: list[str], new: list[str]) -> argparse.Namespace:
    a, b = p.parse_args(old), p.parse_args(new)
    assert a == b, (old, new)
    return a


def test_standalone_evaluate_keeps_the_old_spellings() -> None:
    base = ["--checkpoint", "c", "--out", "o"]
    args = same(
        standalone("evaluate"),
        [*base, "--num_episodes", "4", "--no_gif", "--max_episode_steps", "9"],
        [*base, "--num-episodes", "4", "--no-gif", "--max-episode-steps", "9"],
    )
    assert (args.num_episodes, args.gif, args.max_episode_steps) == (4, False, 9)


def test_slot_evaluate_keeps_its_old_episodes_flag() -> None:
    base = ["--train", "t.json", "--slot-dir", "s"]
    args = same(slot("evaluate"), [*base, "--episodes", "3"], [*base, "--num-episodes", "3"])
    assert args.num_episodes == 3 and args.gif is True


def test_standalone_train_keeps_the_old_spellings() -> None:
    base = ["--plan", "p.py", "--out", "o"]
    args = same(
        standalone("train"),
        [*base, "--env", "E", "--total_timesteps", "5e6", "--use_wandb", "--no_progress"],
        [*base, "--env-name", "E", "--total-timesteps", "5e6", "--use-wandb", "--no-progress"],
    )
    assert (args.env, args.total_timesteps, args.use_wandb, args.progress) == (
        "E",
        5e6,
        True,
        False,
    )


def test_llm_stages_take_both_model_spellings() -> None:
    base = ["--env_name", "E", "--ledger", "l", "--skill", "s", "--proposal", "p"]
    base += ["--slot-dir", "d"]
    args = same(slot("validate"), [*base, "--llm_name", "m"], [*base, "--llm-name", "m"])
    assert args.llm_name == "m" and args.env == "E"


def test_the_seed_projects_driver_flags_keep_working() -> None:
    seed = "--env_name E --llm_name m --max_nodes 6 --total_timesteps 5e7 --no-use_wandb"
    seed += " --graph-path exp/p --current_i 3"
    dashed = "--env-name E --llm-name m --max-nodes 6 --total-timesteps 5e7 --no-use-wandb"
    dashed += " --tree exp/p --current-i 3"
    args = same(build_parser(), seed.split(), dashed.split())
    assert (args.tree, args.current_i, args.use_wandb, args.max_nodes) == ("exp/p", 3, False, 6)
    assert build_parser().parse_args(["--use_wandb"]).use_wandb is True
    assert build_parser().parse_args([]).use_wandb is None  # the config decides
    parallel = build_parser(parallel=True)
    assert same(parallel, ["--max_parallel_skills", "3"], ["--max-parallel-skills", "3"])
