"""The GPU suite: env and trainer steps/s, compile times and a pipeline smoke run, one JSON.

Run it through ``benchmarks/gpu_suite.sh`` (a time limit, the output path). Sections, each
written to the JSON as soon as it is measured (so a time-out keeps what was done):

* ``env``: flow env (1-step wood plan, reset pool) at 1k-8k envs, and raw craftax (no
  resets) at 4096 envs (not in ``--dry``), each with its compile time;
* ``trainer``: the ``gpu`` profile (1024 envs, width 512) with 1, 2, 4, 8 experts, best
  blocked chunk and compile; ratio to the flow env alone at the same ``num_envs``;
* ``reference``: the reference PPO, Craftax-Baselines style (``reference_ppo.py``), at the
  same sizes, one whole jitted run; the trainer's ratio to it;
* ``pipeline``: a one-slot offline ``flowrl demo`` (wall time, exit status).

Every ratio divides two figures of this run. The Craftax paper's figure is quoted as
published, on its own machine, and never divided by. ``--dry`` runs every section at tiny
sizes on any machine (the pipeline smoke only checks the command) so a test keeps the
script working where no GPU is lent.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import jax

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_common import ROOT, describe, machine, write_json
from env_throughput import compile_case, time_cases
from reference_ppo import ReferenceConfig, run_reference
from trainer_throughput import measure, trainer_ppo, wood_plan

from flowrl.envs.flow_env import FlowEnv
from flowrl.envs.game_env import GameEnv
from flowrl.envs.games import GameSpec, get_game
from flowrl.envs.resets import ResetConfig, VecEnv
from flowrl.rl.config import load_config

PUBLISHED = {
    "source": "Craftax paper (Matthews et al., 2024)",
    "figure": "405,618 env steps/s",
    "setting": "Craftax-Classic, 4096 envs, RTX 4090",
    "note": "published on another machine; quoted, never divided by",
}

SIZES = {
    "full": {
        "env_envs": [1024, 2048, 4096, 8192],
        "raw_envs": 4096,
        "env_steps": 128,
        "experts": [1, 2, 4, 8],
        "train": {"updates_per_chunk": 4},
        "repeats": 2,
    },
    "dry": {
        "env_envs": [16],
        "raw_envs": 0,  # one compile less: the test keeps to about a minute on 2 cores
        "env_steps": 8,
        "experts": [1],
        "train": {
            "num_envs": 16,
            "num_steps": 8,
            "width": 16,
            "depth": 1,
            "num_minibatches": 2,
            "update_epochs": 1,
            "updates_per_chunk": 1,
        },
        "repeats": 1,
    },
}


def env_section(game: GameSpec, sizes: dict) -> list[dict]:
    plan = wood_plan(game, 1)
    flow = FlowEnv(game, plan)
    cases = [(f"flow env, reset pool, {n} envs", VecEnv(flow, n), n) for n in sizes["env_envs"]]
    n = sizes["raw_envs"]
    if n:
        raw = VecEnv(GameEnv(game), n, ResetConfig(mode="none"))
        cases.append((f"raw craftax, no resets, {n} envs", raw, n))
    rows = []
    for name, vec, n in cases:
        case = compile_case(vec, flow.num_actions, sizes["env_steps"])
        time_cases([case], sizes["repeats"])
        sps = n * sizes["env_steps"] / case["best"]
        rows.append({"name": name, "num_envs": n, "sps": sps, "compile_s": case["compile_s"]})
        print(f"{name:40s} {sps:11.0f} steps/s  compile {case['compile_s']:6.1f} s", flush=True)
    return rows


def pipeline_smoke(dry: bool) -> dict:
    flowrl = shutil.which("flowrl", path=str(Path(sys.executable).parent)) or "flowrl"
    if dry:
        t = time.perf_counter()
        rc = subprocess.run([flowrl, "demo", "--help"], capture_output=True).returncode
        return {
            "status": "skipped in dry mode (command checked)" if rc == 0 else "command failed",
            "rc": rc,
            "wall_s": time.perf_counter() - t,
        }
    out = tempfile.mkdtemp(prefix="flowrl-gpu-suite-")
    t = time.perf_counter()
    proc = subprocess.run(
        [flowrl, "demo", "--max_nodes", "1", "--results_dir", out],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return {
        "status": "ok" if proc.returncode == 0 else "failed",
        "rc": proc.returncode,
        "wall_s": time.perf_counter() - t,
        "results_dir": out,
        "tail": proc.stdout[-2000:] + proc.stderr[-2000:],
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env_name", default="Craftax-Classic-Symbolic-v1")
    parser.add_argument("--out", required=True, help="the JSON to write")
    parser.add_argument("--dry", action="store_true", help="tiny sizes (CPU, tests)")
    parser.add_argument("--no_pipeline", action="store_true", help="skip the pipeline smoke")
    args = parser.parse_args(argv)
    mode = "dry" if args.dry else "full"
    sizes = SIZES[mode]
    result: dict = {
        "benchmark": "gpu_suite",
        "mode": mode,
        "machine": machine(),
        "published": PUBLISHED,
        "sizes": sizes,
    }
    print(f"# gpu suite ({mode}); {describe(result['machine'])}", flush=True)
    start = time.perf_counter()

    game = get_game(args.env_name)
    result["env"] = env_section(game, sizes)
    write_json(args.out, result)

    config = load_config("gpu", **sizes["train"])
    env_at = {r["num_envs"]: r["sps"] for r in result["env"] if r["name"].startswith("flow")}
    trainer = []
    for e in sizes["experts"]:
        row = measure(f"trainer, gpu profile, {e} experts", trainer_ppo(config, game, e), 1)
        if config.num_envs in env_at:
            row["x_env_alone"] = row["sps"] / env_at[config.num_envs]
        trainer.append(row)
        print(f"{row['name']:40s} {row['sps']:11.0f} steps/s  compile {row['compile_s']:6.1f} s")
        result["trainer"] = trainer
        write_json(args.out, result)

    reference_cfg = ReferenceConfig.matching(config, args.env_name)
    reference = {
        "name": "reference PPO (Craftax-Baselines style)",
        **run_reference(reference_cfg, 1),
    }
    for row in trainer:
        row["x_reference"] = row["sps"] / reference["sps"]
    result["reference"] = reference
    print(
        f"{reference['name']:40s} {reference['sps']:11.0f} steps/s  compile "
        f"{reference['compile_s']:6.1f} s"
    )
    write_json(args.out, result)

    if not args.no_pipeline:
        result["pipeline"] = pipeline_smoke(args.dry)
        print(
            f"pipeline smoke: {result['pipeline']['status']} ({result['pipeline']['wall_s']:.0f} s)"
        )
    result["loadavg_after"] = machine()["loadavg"]
    result["wall_s"] = time.perf_counter() - start
    result["devices"] = [str(d) for d in jax.devices()]
    write_json(args.out, result)
    return result


if __name__ == "__main__":
    main()
