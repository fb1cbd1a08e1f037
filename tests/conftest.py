"""Shared fixtures. JAX compilations are expensive on CPU: build envs once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("JAX_PLATFORMS", "cpu")

TESTS = Path(__file__).resolve().parent
SKILLS = TESTS / "skills"
CLASSIC = "Craftax-Classic-Symbolic-v1"
CRAFTAX = "Craftax-Symbolic-v1"


@pytest.fixture(scope="session", autouse=True)
def _flowrl_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Keep validator state caches inside the test session unless one is configured."""
    if "FLOWRL_CACHE_DIR" not in os.environ:
        os.environ["FLOWRL_CACHE_DIR"] = str(tmp_path_factory.mktemp("flowrl-cache"))
    return Path(os.environ["FLOWRL_CACHE_DIR"])


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
        [PlanStep("Wood One", first, 1, 0), PlanStep("Wood Two", second, 2, 1)], CLASSIC
    )
    return FlowEnv(CLASSIC, load_plan(module, CLASSIC), completion_bonus=10.0)


@pytest.fixture(scope="session")
def classic_marker_step(classic_marker_env):
    import jax

    return jax.jit(classic_marker_env.step)
