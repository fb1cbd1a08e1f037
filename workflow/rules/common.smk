# Helpers and config checks of the workflow, in one place (the snakemake-workflows layout).
# File names come from flowrl/pipeline/layout.py, which the Python stages use too.
import os
import sys
from pathlib import Path

from snakemake.utils import validate

from flowrl.llm import preflight
from flowrl.pipeline.config import as_arg, check_rules, coerce_strings, llm_cache_dir
from flowrl.pipeline.config import (
    analyse_enabled,
    baseline_frames,
    probe_timesteps,
    run_seeds,
)
from flowrl.pipeline.config import train_settings, tree_dir
from flowrl.pipeline.jax_runtime import gpu_preflight, report_wall_time
from flowrl.pipeline.job_env import gpu_slots_of, job_environment
from flowrl.pipeline.layout import (
    Rounds,
    baseline_path,
    candidate_path,
    comparison_path,
)
from flowrl.pipeline.layout import seed_path, slot_path, tree_path
from flowrl.pipeline.run_lock import clear_stale_locks, forget_run, record_run
from flowrl.pipeline.console_relay import start_console_relay, stop_console_relay
from flowrl.pipeline.run_summary import print_run_summary
from flowrl.pipeline.stages.common import llm_settings
from flowrl.pipeline.stages.init import copied_before_rename

REPO = Path(workflow.basedir).parent


configfile: str(REPO / "config" / "config.yaml")


# -- config: typed, validated against the schema, cross-key rules --------------------------
config.update(coerce_strings(config))  # --config analyse=true -> a boolean
validate(config, str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
check_rules(config)

ENV = config["env_name"]
LLM = config["llm_name"]
TREE = tree_dir(config)
SLOTS = Rounds.from_config(config)  # which slots run, in which rounds
SEEDS = run_seeds(config)  # the first at the slot's own paths, the rest in seeds/seed_{s}/
BASELINE = bool((config.get("baseline") or {}).get("enabled"))
BASELINE_FRAMES = baseline_frames(config)
ANALYSE = analyse_enabled(config)  # analyse: null -> on for real models, off for offline
CANDIDATES = int(config.get("candidates") or 1)  # K reward-code candidates per slot
PROBE_SETTINGS = {**train_settings(config), "total_timesteps": probe_timesteps(config)}
START = config.get("start_from") or None
SELF_CONTINUE = bool(START) and Path(START["tree"]).resolve() == Path(TREE).resolve()
# a tree copied when the step was still named `seed` (record seed.json) needs no copy job (init.smk)
START_COPIED = bool(START) and copied_before_rename(TREE, START["tree"], SLOTS.first)
# What every job inherits (flowrl/pipeline/job_env.py): `python -m flowrl` from this venv
# and repository, use_wandb (not a param: W&B on/off reruns nothing), the GPU slots.
os.environ.update(
    job_environment(REPO, bool(config.get("use_wandb")), gpu_slots_of(workflow.global_resources))
)
RES = config.get("resources") or {}
_slurm = config.get("slurm") or {}
SLURM = {
    key: value
    for key, value in {
        "slurm_partition": os.environ.get("SLURM_PARTITION") or _slurm.get("partition"),
        "slurm_account": os.environ.get("SLURM_ACCOUNT") or _slurm.get("account"),
    }.items()
    if value
}

if SELF_CONTINUE:
    _prev = Path(slot_path(TREE, SLOTS.first - 1, "library"))
    if not _prev.is_file():
        raise ValueError(
            f"start_from continues {TREE} at slot {SLOTS.first}, but {_prev} is missing"
        )


wildcard_constraints:
    i="|".join(str(i) for i in SLOTS.run),
    c="|".join(str(c) for c in range(CANDIDATES)),


# -- paths (flowrl/pipeline/layout.py) ----------------------------------------------------
def slot(i, key=""):
    """Slot ``i``'s file ``key`` (a layout.SLOT_FILES key), or its folder when key is empty."""
    return slot_path(TREE, i, key)


def tree_file(key):
    """The tree's file ``key`` (a layout.TREE_FILES key)."""
    return tree_path(TREE, key)


def seed_file(i, s, key=""):
    """Extra seed ``s``'s file ``key`` (a layout.SEED_FILES key) in slot ``i``."""
    return seed_path(TREE, i, s, key)


def seed_dir(wildcards):
    return seed_file(wildcards.i, wildcards.s)


def baseline_log(rule):
    """``baseline_ppo/frames_<F>/seed_{s}/logs/<rule>.log``."""
    return f"{baseline_file('{s}', 'logs')}/{rule}.log"


def seed_log(rule):
    """``skill_{i}/seeds/seed_{s}/logs/<rule>.log``."""
    return f"{seed_file('{i}', '{s}', 'logs')}/{rule}.log"


def baseline_file(s, key=""):
    """The baseline's file ``key`` (a layout.BASELINE_FILES key) for seed ``s`` at this
    config's frame budget, beside the game's trees."""
    return baseline_path(Path(TREE).parent, BASELINE_FRAMES, s, key)


def comparison_file(key):
    """The cross-model comparison file ``key`` beside this tree."""
    return comparison_path(TREE, key)


def slot_log(rule):
    """``skill_{i}/logs/<rule>.log``: where a slot rule's output goes."""
    return f"{slot('{i}', 'logs')}/{rule}.log"


def tree_log(rule):
    """``{tree}/logs/<rule>.log``: where a tree-level rule's output goes."""
    return f"{tree_file('logs')}/{rule}.log"


def slot_benchmark(rule):
    return f"{slot('{i}', 'benchmarks')}/{rule}.tsv"


def prev_library(wildcards):
    """The library slot ``i`` starts from: the previous round's, or ``init/library.json``."""
    j = SLOTS.previous_library_slot(int(wildcards.i))
    return tree_file("init_library") if j is None else slot(j, "library")


def siblings(wildcards):
    """Proposals of the slots proposed before ``i`` in its round (parallel rounds)."""
    return [slot(j, "proposal") for j in SLOTS.siblings_before(int(wildcards.i))]


def slot_dir(wildcards):
    return slot(wildcards.i)


# -- reward-code candidates (candidates: K > 1; layout.CANDIDATE_FILES) -------------------
def candidate(i, c, key=""):
    """Candidate ``c`` of slot ``i``: its file ``key``, or its folder when key is empty."""
    return candidate_path(TREE, i, c, key)


def candidate_dir(wildcards):
    return candidate(wildcards.i, wildcards.c)


def candidate_log(rule):
    return f"{candidate('{i}', '{c}', 'logs')}/{rule}.log"


def candidate_benchmark(rule):
    return f"{candidate('{i}', '{c}', 'benchmarks')}/{rule}.tsv"


def earlier_candidate_files(wildcards):
    """The code of the candidates before ``c`` (candidate ``c`` is told them)."""
    keys = ("skill", "code_status", "reward_plan")
    return [candidate(wildcards.i, e, k) for e in range(int(wildcards.c)) for k in keys]


def earlier_candidate_dirs(wildcards):
    return " ".join(candidate(wildcards.i, e) for e in range(int(wildcards.c)))


def candidate_results(wildcards):
    """What ``select`` ranks: every candidate's code, validation, probe and evaluation."""
    keys = ("code_status", "reward_plan", "validation", "train", "eval")
    return [candidate(wildcards.i, c, k) for c in range(CANDIDATES) for k in keys]


# -- parameters ---------------------------------------------------------------------------
def above(key, levels, of="output"):
    """A params function: the folder ``levels`` above the rule's ``of`` file ``key``, so a
    path prefix (the tree) follows the files wherever a storage plugin puts them."""

    def folder(wildcards, input, output):
        files = output if of == "output" else input
        return str(Path(getattr(files, key)).parents[levels - 1])

    return folder


def llm_args(wildcards):
    """Model, ledger, cache and settings of the LLM stages (``flowrl slot <stage>``)."""
    return (
        f"--llm-name {LLM} --ledger {slot(wildcards.i, 'ledger')} "
        f"--cache-dir {llm_cache_dir(config)} --llm-settings {as_arg(config.get('llm') or {})}"
    )


def candidate_llm_args(wildcards):
    """:func:`llm_args` with the candidate's own ledger (per-candidate LLM cost)."""
    return (
        f"--llm-name {LLM} --ledger {candidate(wildcards.i, wildcards.c, 'ledger')} "
        f"--cache-dir {llm_cache_dir(config)} --llm-settings {as_arg(config.get('llm') or {})}"
    )


def res(kind, key, default):
    """``resources.<kind>.<key>`` of the config (what executors are told per rule)."""
    return (RES.get(kind) or {}).get(key, default)


# -- inputs of the tree-level rules ---------------------------------------------------------
def seed_evals(wildcards=None):
    """eval.json of every slot this run computes, for every seed (achievements)."""
    first = [slot(i, "eval") for i in SLOTS.run]
    return first + [seed_file(i, s, "eval") for i in SLOTS.run for s in SEEDS[1:]]


def round_inputs(wildcards):
    """What commit reads of every slot of the round (by layout key)."""
    keys = [
        "proposal",
        "validation",
        "validated_dir",
        "plan",
        "train",
        "checkpoint",
        "eval",
    ]
    if ANALYSE:
        keys.append("analysis")
    return [slot(j, key) for j in SLOTS.round_members(int(wildcards.i)) for key in keys]


def round_dirs(wildcards):
    """The folders of the round's slots (commit's --slot-dirs)."""
    return " ".join(slot(j) for j in SLOTS.round_members(int(wildcards.i)))
