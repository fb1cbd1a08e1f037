"""Train the experts of a plan until it succeeds often enough or the step budget is spent.

:func:`train` is what the pipeline and ``flowrl train`` call. It writes into ``out_dir``:
``checkpoint/`` (see :mod:`flowrl.rl.checkpoint`) and ``train_metrics.csv`` (one row per
update: frames, episodes, raw and smoothed success, losses, SPS; the last row carries the
verdict).
"""

from __future__ import annotations

import csv
import io
import logging
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import numpy as np

from flowrl.atomic_io import write_text_atomic
from flowrl.clock import utc_now
from flowrl.rl.checkpoint import (
    load_checkpoint,
    load_optimizer_state,
    package_versions,
    save_checkpoint,
    skill_experts,
    warm_start,
    warm_start_optimizer,
)
from flowrl.rl.config import TrainConfig
from flowrl.rl.monitor import RunMonitor
from flowrl.rl.networks import ExpertActorCritic
from flowrl.rl.ppo import PPO, make_flow_vec_env
from flowrl.rl.success import HorizonTracker, SuccessTracker, reached
from flowrl.skills.plan_module import Plan, load_plan, load_plan_file

log = logging.getLogger(__name__)

# Training samples actions and so does a plan that runs a learned skill as a step of a
# deeper plan: the estimate (and acceptance) is of the sampled policy.
SUCCESS_POLICY = "sampled"

CHECKPOINT_DIR = "checkpoint"
METRICS_FILE = "train_metrics.csv"
CSV_FIELDS = (
    "update",
    "frames",
    "wall_s",
    "sps",
    "episodes",
    "plans_completed",
    "success_raw",
    "success_finished",
    "success_rate",
    "success_low",
    "success_high",
    "success_episodes",
    "reached",
    "episode_return",
    "episode_length",
    "actor_loss",
    "value_loss",
    "entropy",
    "approx_kl",
    "verdict",
)
LOSS_FIELDS = (
    "episode_return",
    "episode_length",
    "actor_loss",
    "value_loss",
    "entropy",
    "approx_kl",
)


@dataclass
class TrainResult:
    """What a training run produced."""

    out_dir: Path
    checkpoint_dir: Path
    metrics_csv: Path
    success_rate: float
    success: bool
    success_interval: tuple[float, float]
    success_episodes: int
    success_horizon: int
    frames: int
    updates: int
    wall_s: float
    compile_s: float
    warm_started: list[str] = field(default_factory=list)
    success_policy: str = SUCCESS_POLICY
    warm_started_optimizer: list[str] = field(default_factory=list)
    last_success_rate: float = math.nan
    best_update: int = 0
    warnings: list[dict[str, Any]] = field(default_factory=list)
    stopped_early: str | None = None  # the reason, when a hopeless run stopped early
    frames_saved: int = 0  # budget left unspent by an early stop

    def interval_or_none(self) -> list[float] | None:
        lo, hi = self.success_interval
        return None if math.isnan(lo) else [lo, hi]


def _host_copy(runner: Any) -> tuple[Any, Any]:
    """(params, opt_state) copied to host memory (the runner's buffers get donated)."""
    return jax.tree.map(np.array, (runner.params, runner.opt_state))


def _interval(estimate: tuple[float, float, float, int]) -> list[float] | None:
    return None if math.isnan(estimate[1]) else [estimate[1], estimate[2]]


def build_network(config: TrainConfig, num_experts: int, num_actions: int) -> ExpertActorCritic:
    return ExpertActorCritic(
        num_experts=num_experts,
        num_actions=num_actions,
        width=config.width,
        depth=config.depth,
        activation=config.activation,
        routing=config.routing,
    )


def _as_plan(plan: Plan | str | Path, env_name: str) -> Plan:
    if isinstance(plan, Plan):
        return plan
    if isinstance(plan, Path) or (isinstance(plan, str) and "\n" not in plan):
        return load_plan_file(plan, env_name)
    return load_plan(plan, env_name)


def _write_csv(path: Path, rows: list[dict[str, Any]]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    write_text_atomic(path, buffer.getvalue())


class _Progress:
    """tqdm bar over frames with success rate and SPS (silent when disabled)."""

    def __init__(self, total: int, enabled: bool, description: str) -> None:
        self.bar = None
        if enabled:
            from tqdm.auto import tqdm

            self.bar = tqdm(total=total, unit="frame", unit_scale=True, desc=description)

    def update(self, frames: int, success: float, sps: float) -> None:
        if self.bar is not None:
            self.bar.update(frames)
            rate = "n/a" if math.isnan(success) else f"{success:.2f}"
            self.bar.set_postfix(success=rate, sps=f"{sps:,.0f}")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def train(  # noqa: C901  # one training run, top to bottom; the lead splits rl/ (issue #23)
    plan: Plan | str | Path,
    env_name: str,
    out_dir: str | Path,
    config: TrainConfig | None = None,
    init: str | Path | None = None,
    use_wandb: bool = False,
    progress: bool = True,
    keep: str = "best",
) -> TrainResult:
    """Train one expert per skill of ``plan`` on ``env_name``; write checkpoint and metrics.

    Args:
        plan: a loaded :class:`Plan`, a plan module path, or plan module source.
        env_name: the craftax game.
        out_dir: the skill slot directory (gets ``checkpoint/`` and ``train_metrics.csv``).
        config: training settings (default: the CPU profile).
        init: an earlier checkpoint whose experts are loaded by skill name.
        use_wandb: also log to Weights & Biases (offline unless configured).
        progress: show a progress bar.
        keep: ``"best"`` saves the parameters of the best success estimate (a skill);
            ``"last"`` the final ones (a plan that never completes, e.g. the baseline).
    """
    if keep not in ("best", "last"):
        raise ValueError(f"keep={keep!r}: choose 'best' or 'last'")
    from flowrl.rl.config import load_config

    config = config or load_config("cpu")
    plan = _as_plan(plan, env_name)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    skills = skill_experts(plan.names, plan.experts)

    vec = make_flow_vec_env(config, env_name, plan)
    network = build_network(config, plan.num_experts, vec.env.num_actions)  # type: ignore[attr-defined]  # resets.SingleEnv protocol names only reset/step
    ppo = PPO(config, vec, network)
    key = jax.random.PRNGKey(config.seed)
    key, init_key = jax.random.split(key)
    params = ppo.init_params(init_key)
    warm: list[str] = []
    frames_before: dict[str, int] = {}
    if init is not None:
        old_params, old_meta = load_checkpoint(init)
        params, warm = warm_start(params, skills, old_params, old_meta["skills"])
        old_frames = old_meta.get("frames_per_skill", {})
        frames_before = {name: int(old_frames.get(name, 0)) for name in warm}
        log.info("warm start from %s: %s", init, ", ".join(warm) or "no shared skills")
    runner = ppo.init(key, params)
    warm_opt: list[str] = []
    if init is not None:
        opt_state, warm_opt = warm_start_optimizer(
            runner.opt_state, skills, load_optimizer_state(init), old_meta["skills"]
        )
        runner = runner.replace(opt_state=opt_state)  # type: ignore[attr-defined]  # flax struct.dataclass adds replace() at runtime
        if warm and not warm_opt:
            log.info("warm start: optimiser state not restored (none saved or not per expert)")

    logger = None
    if use_wandb:
        from flowrl.rl.wandb_log import WandbLogger

        logger = WandbLogger(out_dir, config.to_dict(), name=" -> ".join(plan.names))

    finished_tracker = SuccessTracker(config.success_window, config.min_episodes)
    tracker = HorizonTracker(config.success_window, config.min_episodes, ppo.age_bins)
    num_chunks = math.ceil(config.num_updates / config.updates_per_chunk)
    bar = _Progress(num_chunks * config.frames_per_chunk, progress, plan.names[-1])
    rows: list[dict[str, Any]] = []
    frames_per_expert = np.zeros(plan.num_experts, np.int64)
    metrics_csv = out_dir / METRICS_FILE
    checkpoint_dir = out_dir / CHECKPOINT_DIR
    start = time.perf_counter()
    compile_s = 0.0
    frames = updates = 0
    rate = math.nan
    estimate: tuple[float, float, float, int] = (math.nan, math.nan, math.nan, 0)
    budget_frames = num_chunks * config.frames_per_chunk
    monitor = RunMonitor(
        threshold=config.success_threshold,
        budget_frames=budget_frames,
        collapse_drop=config.collapse_drop,
        early_stop_after=config.early_stop_after,
        early_stop_below=config.early_stop_below,
        early_stop_patience=config.early_stop_patience,
    )
    # host copies of (params, opt_state) at chunk ends, by updates done: the estimate is
    # about episodes that started a while ago, so the best state is an earlier snapshot
    snapshots: dict[int, Any] = {0: _host_copy(runner)}
    best_state: Any = None
    latest_is_best = True  # while success has not fallen since its best, keep the newest

    def checkpoint(verdict: bool | None, state: Any, saved: str = "last") -> None:
        best = monitor.best
        per_skill = {
            name: frames_before.get(name, 0) + int(frames_per_expert[expert])
            for name, expert in skills.items()
        }
        meta = {
            "env_name": env_name,
            "skills": skills,
            "plan": {
                "names": list(plan.names),
                "experts": list(plan.experts),
                "counts": list(plan.counts),
            },
            "network": {
                "kind": "ExpertActorCritic",
                "num_experts": plan.num_experts,
                "num_actions": vec.env.num_actions,  # type: ignore[attr-defined]  # resets.SingleEnv protocol names only reset/step
                "obs_size": ppo.obs_size,
                "width": config.width,
                "depth": config.depth,
                "activation": config.activation,
                "routing": config.routing,
            },
            "frames": frames,
            "updates": updates,
            "frames_per_expert": frames_per_expert.tolist(),
            "frames_per_skill": per_skill,
            # the estimate of the parameters saved here (the best chunk's when there is one)
            "success_rate": None if math.isnan(best.rate) else best.rate,
            "success_interval": None if math.isnan(best.rate) else [best.low, best.high],
            "success_episodes": best.episodes,
            "best": best.as_dict(),
            "saved_params": saved,  # "best": an earlier snapshot, success fell after it
            "last_success_rate": None if math.isnan(rate) else rate,
            "last_success_interval": _interval(estimate),
            "warnings": monitor.warnings,
            "stopped_early": monitor.stop_reason,
            "budget_frames": budget_frames,
            "success_horizon": ppo.horizon,
            "success_policy": SUCCESS_POLICY,
            "success_threshold": config.success_threshold,
            "success": verdict,
            "warm_started": warm,
            "warm_started_optimizer": warm_opt,
            "optimizer": {"kind": "clip_by_global_norm+adam", "per_expert": ppo.by_expert},
            "init": str(init) if init else None,
            "config": config.to_dict(),
            "config_hash": config.hash(),
            "versions": package_versions(),
            "created": utc_now(),
        }
        save_checkpoint(checkpoint_dir, state[0], meta, plan.source, opt_state=state[1])

    try:
        for chunk in range(num_chunks):
            t0 = time.perf_counter()
            runner, metrics = ppo.train_chunk(runner)
            metrics = jax.device_get(metrics)
            elapsed = time.perf_counter() - t0
            if chunk == 0:
                compile_s = elapsed  # includes the first chunk's run
            finished = finished_tracker.add(metrics["episodes"], metrics["plans_completed"])
            curve = tracker.add(metrics["horizon_resolved"], metrics["horizon_succeeded"])
            frames_per_expert += metrics["frames_per_expert"].sum(axis=0)
            sps = config.frames_per_chunk / max(elapsed, 1e-9)
            for i in range(config.updates_per_chunk):
                updates += 1
                frames += config.batch_size
                episodes = int(metrics["episodes"][i])
                completed = int(metrics["plans_completed"][i])
                row = {
                    "update": updates,
                    "frames": frames,
                    "wall_s": round(time.perf_counter() - start, 3),
                    "sps": round(sps, 1),
                    "episodes": episodes,
                    "plans_completed": completed,
                    "success_raw": completed / episodes if episodes else math.nan,
                    "success_finished": float(finished[i]),
                    "success_rate": curve[i][0],
                    "success_low": curve[i][1],
                    "success_high": curve[i][2],
                    "success_episodes": curve[i][3],
                    "reached": reached(curve[i][0], config.success_threshold),
                    "verdict": "",
                }
                for name in LOSS_FIELDS:
                    row[name] = float(metrics[name][i])
                rows.append(row)
                if logger is not None:
                    logger.log({k: v for k, v in row.items() if k != "verdict"}, step=frames)
            estimate = tracker.estimate()
            rate = estimate[0]
            snapshots[updates] = _host_copy(runner)
            first, last = tracker.cohorts()
            policy_update = max([u for u in snapshots if u <= (first + last) // 2] or [0])
            for u in [u for u in snapshots if u < policy_update]:
                del snapshots[u]
            warned = len(monitor.warnings)
            recent = [r["episode_return"] for r in rows[-config.success_window :] if r["episodes"]]
            recent_return = float(np.mean(recent)) if recent else math.nan
            improved = monitor.observe(
                chunk, updates, frames, estimate, recent_return, policy_update
            )
            if improved:
                best_state = snapshots[policy_update]
            if not math.isnan(rate):
                latest_is_best = improved
            if len(monitor.warnings) > warned:
                message = monitor.warnings[-1]["message"]
                log.warning("%s", message)
                print(f"flowrl train: warning: {message}", file=sys.stderr, flush=True)
            bar.update(config.frames_per_chunk, rate, sps)
            _write_csv(metrics_csv, rows)
            if reached(rate, config.success_threshold):
                log.info("success rate %.3f reached %.2f", rate, config.success_threshold)
                break
            if monitor.should_stop_early(chunk, frames, rate):
                message = f"stopped early: {monitor.stop_reason}"
                log.warning("%s; %d frames of the budget saved", message, budget_frames - frames)
                print(f"flowrl train: {message}", file=sys.stderr, flush=True)
                break
            every = config.checkpoint_every_chunks
            if every and (chunk + 1) % every == 0:
                checkpoint(None, _host_copy(runner))
    finally:
        bar.close()
        if logger is not None:
            logger.finish()

    best = monitor.best
    success = reached(best.rate, config.success_threshold)
    rows[-1]["verdict"] = "success" if success else "failure"
    _write_csv(metrics_csv, rows)
    keep_best = keep == "best" and best_state is not None and not latest_is_best
    saved = "best" if keep_best else "last"
    checkpoint(success, best_state if keep_best else _host_copy(runner), saved)
    return TrainResult(
        out_dir=out_dir,
        checkpoint_dir=checkpoint_dir,
        metrics_csv=metrics_csv,
        success_rate=best.rate,
        success=success,
        success_interval=(best.low, best.high),
        success_episodes=best.episodes,
        success_horizon=ppo.horizon,
        last_success_rate=rate,
        best_update=best.update,
        warnings=monitor.warnings,
        stopped_early=monitor.stop_reason,
        frames_saved=budget_frames - frames if monitor.stop_reason else 0,
        frames=frames,
        updates=updates,
        wall_s=time.perf_counter() - start,
        compile_s=compile_s,
        warm_started=warm,
        warm_started_optimizer=warm_opt,
    )
