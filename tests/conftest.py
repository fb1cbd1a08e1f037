"""Shared fixtures. JAX compilations are expensive on CPU: build envs once per session."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

import pytest

from flowrl.envs.games import get_game  # the registry is light: no JAX

os.environ.setdefault("JAX_PLATFORMS", "cpu")
# Caches live in a fresh directory per test session (so a run measures cold starts) unless
# FLOWRL_CACHE_DIR is set. Set here, before anything imports JAX: the persistent
# compilation cache lets the many subprocesses a session starts reuse compilations.
if "FLOWRL_CACHE_DIR" not in os.environ:
    _session_cache = tempfile.mkdtemp(prefix="flowrl-test-cache-")
    atexit.register(shutil.rmtree, _session_cache, ignore_errors=True)
    os.environ["FLOWRL_CACHE_DIR"] = _session_cache
os.environ.setdefault(
    "JAX_COMPILATION_CACHE_DIR", str(Path(os.environ["FLOWRL_CACHE_DIR"]) / "jax")
)

TESTS = Path(__file__).resolve().parent
SKILLS = TESTS / "skills"
CLASSIC = "Craftax-Classic-Symbolic-v1"
CRAFTAX = "Craftax-Symbolic-v1"
CLASSIC_GAME = get_game(CLASSIC)  # what the code below the entry points takes


def skill_source(name: str) -> str:
    return (SKILLS / name).read_text()


@pytest.fixture(scope="session")
def classic_marker_env():
    """Classic flow env with a 2-step plan: 1 wood (marker 0.25) then 2 wood (marker 0.5)."""
    from flowrl.envs.flow_env import FlowEnv
    from flowrl.skills.plan_module import PlanStep, build_plan_module, load_plan

    first = skill_source("step_marker.py")
    second = first.replace("MARKER = 0.25", "MARKER = 0.5")
    module = build_plan_module(
        [PlanStep("Wood One", first, 1, 0), PlanStep("Wood Two", second, 2, 1)], CLASSIC_GAME
    )
    return FlowEnv(CLASSIC, load_plan(module, CLASSIC_GAME), completion_bonus=10.0)


@pytest.fixture(scope="session")
def classic_marker_step(classic_marker_env):
    import jax

    return jax.jit(classic_marker_env.step)


# --- trainer (flowrl.rl) -----------------------------------------------------------
RL_TINY_CONFIG = """\
train:
  num_envs: 8
  num_steps: 16
  num_minibatches: 2
  update_epochs: 2
  width: 32
  depth: 1
  updates_per_chunk: 2
  total_timesteps: 512
  max_episode_steps: 24
  success_window: 2
  min_episodes: 1
"""


@pytest.fixture(scope="session")
def rl_tiny_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`flowrl train` on a 2-step wood plan with a tiny config (one compile per session)."""
    from flowrl.cli import main
    from flowrl.skills.plan_module import PlanStep, build_plan_module

    root = tmp_path_factory.mktemp("rl_tiny")
    wood = skill_source("collect_wood.py")
    plan = root / "plan_module.py"
    plan.write_text(
        build_plan_module(
            [PlanStep("Collect Wood", wood, 1, 0), PlanStep("Collect More Wood", wood, 2, 1)],
            CLASSIC_GAME,
        )
    )
    config = root / "tiny.yaml"
    config.write_text(RL_TINY_CONFIG)
    out = root / "skill_0"
    argv = ["train", "--plan", str(plan), "--env", CLASSIC, "--out", str(out)]
    assert main([*argv, "--config", str(config), "--no_progress"]) == 0
    return {"root": root, "plan": plan, "config": config, "out": out}


# The longest files (measured: `pytest --durations`), started first under `make test`.
LONGEST_FILES = ("test_pipeline_e2e.py", "test_slurm.py", "test_docs.py", "test_benchmarks.py")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest files first, then other files with slow tests, each file's tests kept
    together and in order: under ``make test`` (pytest-xdist, ``--dist loadfile
    --no-loadscope-reorder``) the long files start at once instead of ending the run on one
    worker while the others sit idle."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}
    first_seen: dict[Path, int] = {}
    for item in items:
        first_seen.setdefault(item.path, len(first_seen))

    def rank(item: pytest.Item) -> tuple[int, int]:
        name = item.path.name
        if name in LONGEST_FILES:
            return (0, LONGEST_FILES.index(name))
        return (1 if item.path in slow_files else 2, first_seen[item.path])

    items.sort(key=rank)
