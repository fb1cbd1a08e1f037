"""Which JAX backend a run gets, checked before any job, and recorded by the jobs.

:func:`gpu_preflight` (the Snakefile's ``onstart``) asks a child process what JAX sees (a
child, so the Snakemake process never takes GPU memory). With ``train.profile: gpu`` and
no GPU the run stops with one sentence naming the fix, unless ``train.allow_cpu: true``.
For a budget worth estimating it also times a short burst of env steps at the profile's
``num_envs`` and prints, once, the wall time per slot those steps alone take.
:func:`runtime_info` is what train.json / eval.json record.

    python -m flowrl.pipeline.jax_runtime --env Craftax-Classic-Symbolic-v1 --num-envs 64
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

from flowrl.envs.games import GameSpec, get_game

CPU_PRESET = "config/presets/cpu.yaml"
"""The CPU preset the GPU preflight names (a rename of the preset folder edits this line)."""
CUDA_INSTALL = 'pip install -e ".[cuda]"'
ESTIMATE_ABOVE_FRAMES = 1_000_000
"""Slot budgets up to this many frames finish in minutes on a CPU: no throughput probe."""
PROBE_STEPS = 32
PROBE_TIMEOUT_S = 600


class GPUPreflightError(RuntimeError):
    """A GPU-sized run on a machine whose JAX sees no GPU."""


def runtime_info() -> dict[str, Any]:
    """JAX's backend, devices and versions in this process (train.json / eval.json)."""
    import jax
    import jaxlib

    devices = jax.devices()
    return {
        "backend": jax.default_backend(),
        "devices": [
            f"{d.platform}:{d.id} {getattr(d, 'device_kind', '')}".strip() for d in devices
        ],
        "jax": jax.__version__,
        "jaxlib": jaxlib.__version__,
    }


def env_steps_per_second(game: GameSpec, num_envs: int, steps: int = PROBE_STEPS) -> float:
    """Random-action env steps/s of ``num_envs`` worlds in one jitted scan (after compile)."""
    import jax

    from flowrl.envs.game_env import GameEnv
    from flowrl.envs.resets import ResetConfig, VecEnv

    env = GameEnv(game)
    vec = VecEnv(env, num_envs, ResetConfig(mode="optimistic"))

    def body(carry: tuple[Any, Any], _: None) -> tuple[tuple[Any, Any], None]:
        key, state = carry
        key, act_key, step_key = jax.random.split(key, 3)
        actions = jax.random.randint(act_key, (num_envs,), 0, env.num_actions)
        state = vec.step(step_key, state, actions)[1]
        return (key, state), None

    run = jax.jit(lambda key, state: jax.lax.scan(body, (key, state), None, length=steps)[0])
    key = jax.random.PRNGKey(0)
    _, state = jax.block_until_ready(jax.jit(vec.reset)(key))
    jax.block_until_ready(run(key, state))  # compile
    start = time.perf_counter()
    jax.block_until_ready(run(jax.random.PRNGKey(1), state))
    return num_envs * steps / (time.perf_counter() - start)


def probe(env_name: str, num_envs: int, throughput: bool, allow_cpu: bool) -> dict[str, Any]:
    """:func:`runtime_info` (+ ``steps_per_s`` when asked and a GPU is there or allowed),
    measured in a child process that holds no GPU memory afterwards."""
    cmd = [sys.executable, "-m", "flowrl.pipeline.jax_runtime", "--env", env_name]
    cmd += ["--num-envs", str(num_envs)]
    cmd += ["--throughput"] if throughput else []
    cmd += ["--allow-cpu"] if allow_cpu else []
    env = {**os.environ, "XLA_PYTHON_CLIENT_PREALLOCATE": "false"}
    proc = subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=PROBE_TIMEOUT_S, check=False
    )
    if proc.returncode != 0:
        raise GPUPreflightError(f"the JAX probe failed ({' '.join(cmd)}):\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def no_gpu_sentence(info: Mapping[str, Any]) -> str:
    devices = ", ".join(info.get("devices") or []) or "none"
    return (
        f"train.profile is gpu but JAX sees no GPU (backend {info.get('backend')}, devices "
        f"{devices}): install the CUDA build of JAX with {CUDA_INSTALL} (docs/training.md), "
        f"or train on the CPU with --configfile {CPU_PRESET} "
        "(or set train.allow_cpu: true to go on with the GPU sizes anyway)."
    )


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.1f} {unit}"
    return f"{seconds:.0f} s"


def estimate_line(info: Mapping[str, Any], profile: str, num_envs: int, frames: int) -> str:
    sps = float(info["steps_per_s"])
    return (
        f"[flowrl] train.profile {profile} on JAX {info['backend']} "
        f"({', '.join(info['devices'])}): {sps:,.0f} env steps/s measured with {num_envs} "
        f"envs, so at least {_duration(frames / sps)} per slot of {frames:,} frames "
        "(env steps alone; PPO updates add to it)"
    )


def gpu_preflight(config: Mapping[str, Any], report: Callable[[str], None] = print) -> None:
    """Before any job: stop a gpu-profile run whose JAX sees no GPU, naming the fix, unless
    ``train.allow_cpu: true`` (then say so and go on). A cpu-profile run needs no check."""
    train = config.get("train") or {}
    if str(train.get("profile") or "gpu") != "gpu":
        return
    info = probe(config["env_name"], 1, throughput=False, allow_cpu=False)
    if info["backend"] == "gpu":
        return
    if not train.get("allow_cpu"):
        raise GPUPreflightError(no_gpu_sentence(info))
    report(f"[flowrl] train.allow_cpu: true: {no_gpu_sentence(info).split(':')[0]}; going on")


def report_wall_time(config: Mapping[str, Any], report: Callable[[str], None] = print) -> None:
    """Print, once, the wall time per slot from a short env-throughput probe at the
    profile's ``num_envs`` (budgets above :data:`ESTIMATE_ABOVE_FRAMES` only)."""
    from flowrl.pipeline.config import train_settings
    from flowrl.rl.config import load_config as train_config

    profile = str((config.get("train") or {}).get("profile") or "gpu")
    settings = train_settings(config)
    frames = int(settings["total_timesteps"])
    if frames <= ESTIMATE_ABOVE_FRAMES:
        return
    num_envs = train_config(profile, None, **settings).num_envs
    info = probe(config["env_name"], num_envs, throughput=True, allow_cpu=True)
    report(estimate_line(info, profile, num_envs, frames))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env", default="Craftax-Classic-Symbolic-v1")
    parser.add_argument("--num-envs", type=int, default=64)
    parser.add_argument("--throughput", action="store_true", help="also time env steps")
    parser.add_argument("--allow-cpu", action="store_true", help="time them on a CPU too")
    args = parser.parse_args(argv)
    info = runtime_info()
    if args.throughput and (info["backend"] == "gpu" or args.allow_cpu):
        info["steps_per_s"] = env_steps_per_second(get_game(args.env), args.num_envs)
    print(json.dumps(info))
    return 0


if __name__ == "__main__":
    sys.exit(main())
