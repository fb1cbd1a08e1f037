"""Train the experts of a plan until it succeeds often enough or the step budget is spent.

:func:`train` is what the pipeline and ``flowrl train`` call. It writes into ``out_dir``:
``checkpoint/`` (see :mod:`flowrl.rl.checkpoint`) and ``train_metrics.csv`` (one row per
update: frames, episodes, raw and smoothed success, losses, SPS; the last row carries the
verdict). Its phases, each a function of its own:

1. :func:`start`: the batched env, the network, a warm start of known experts (parameters
   and Adam state), the PPO runner.
2. the chunk loop: ``PPO.train_chunk`` (jitted updates), then :meth:`Run.record_chunk`
   (CSV rows, success estimate, best snapshot, warnings), then the stopping rules.
3. :func:`checkpoint_metadata`: what ``metadata.json`` says about the saved parameters.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import logging
import math
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from flowrl.atomic_io import write_text_atomic
from flowrl.clock import utc_now
from flowrl.envs.flow_env import FlowEnv
from flowrl.envs.frontier import FrontierVecEnv
from flowrl.envs.games import GameSpec, as_game
from flowrl.rl.checkpoint import (
    load_checkpoint,
    load_optimizer_state,
    package_versions,
    save_checkpoint,
    skill_experts,
    warm_start,
    warm_start_optimizer,
)
from flowrl.rl.config import TrainConfig, load_config
from flowrl.rl.guard import PoisonedTraining, chunk_problem, slow_step_warnings
from flowrl.rl.monitor import RunMonitor
from flowrl.rl.networks import ExpertActorCritic
from flowrl.rl.ppo import PPO, RunnerState
from flowrl.rl.success import FAILURES, HorizonTracker, SuccessTracker, reached
from flowrl.rl.train_env import frontier_step, make_flow_vec_env
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
    skills: list[str] = field(default_factory=list)  # every skill with an expert here
    success_policy: str = SUCCESS_POLICY
    warm_started_optimizer: list[str] = field(default_factory=list)
    step_completion: list[float | None] = field(default_factory=list)
    failures: dict[str, Any] = field(default_factory=dict)
    game_reward_from: int | None = None  # frames after which the game's reward was added
    extended_frames: int = 0
    frontier_step: int = 0
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


def _as_plan(plan: Plan | str | Path, game: GameSpec) -> Plan:
    if isinstance(plan, Plan):
        return plan
    if isinstance(plan, Path) or (isinstance(plan, str) and "\n" not in plan):
        return load_plan_file(plan, game)
    return load_plan(plan, game)


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


@dataclass
class Start:
    """What training starts from: the PPO runner and what the warm start loaded."""

    plan: Plan
    ppo: PPO
    runner: RunnerState
    skills: dict[str, int]  # skill name -> expert index
    warm: list[str] = field(default_factory=list)  # experts whose parameters were loaded
    warm_opt: list[str] = field(default_factory=list)  # ... and whose Adam state was
    frames_before: dict[str, int] = field(default_factory=dict)  # their earlier frames
    init: str | None = None
    frontier: int = 0  # the plan step frontier starts restart at (0: none)


def plan_env(vec: Any) -> FlowEnv:
    """The single flow env under a batched one."""
    env = vec.env
    if not isinstance(env, FlowEnv):
        raise TypeError(f"expected a batched FlowEnv, got {type(env).__name__}")
    return env


def start(plan: Plan, game: GameSpec, config: TrainConfig, init: str | Path | None = None) -> Start:
    """The env, network and optimiser of a run; experts of ``init`` loaded by skill name.
    With ``upkeep`` off the plan's upkeep skills get no expert (and are not trained)."""
    if not config.upkeep and plan.upkeep:
        plan = dataclasses.replace(plan, upkeep=())
    skills = skill_experts(plan.skill_names, plan.skill_experts)
    old_params, old_meta = load_checkpoint(init) if init is not None else (None, {})
    frontier = frontier_step(plan, set(old_meta.get("skills", {}))) if init is not None else 0
    vec = make_flow_vec_env(config, game, plan, frontier)
    network = build_network(config, plan.num_experts, plan_env(vec).num_actions)
    ppo = PPO(config, vec, network)
    key, init_key = jax.random.split(jax.random.PRNGKey(config.seed))
    params = ppo.init_params(init_key)
    if init is None:
        return Start(plan, ppo, ppo.init(key, params), skills)
    frontier = frontier if isinstance(vec, FrontierVecEnv) else 0
    params, warm = warm_start(params, skills, old_params, old_meta["skills"])
    old_frames = old_meta.get("frames_per_skill", {})
    frames_before = {name: int(old_frames.get(name, 0)) for name in warm}
    log.info("warm start from %s: %s", init, ", ".join(warm) or "no shared skills")
    runner = ppo.init(key, params)
    opt_state, warm_opt = warm_start_optimizer(
        runner.opt_state, skills, load_optimizer_state(init), old_meta["skills"]
    )
    if warm and not warm_opt:
        log.info("warm start: optimiser state not restored (none saved or not per expert)")
    runner = runner.replace(opt_state=opt_state)
    return Start(plan, ppo, runner, skills, warm, warm_opt, frames_before, str(init), frontier)


def with_game_reward(
    begin: Start, runner: RunnerState, config: TrainConfig, game: GameSpec
) -> tuple[Start, RunnerState, TrainConfig]:
    """The run's env rebuilt with the game's reward at ``game_reward_rescue``, paid to the
    expert being learned (the plan's last step's) only: experts learned before keep their
    own reward. One more compile. The runner goes on as it is (the reward weight is not part of the env state):
    parameters, optimiser state, update count, and the running episodes, so the success
    estimate counts every episode it started (restarting them would drop the long ones)."""
    config = config.replace(game_reward_weight=config.game_reward_rescue)
    target = (begin.plan.experts[-1],)
    vec = make_flow_vec_env(config, game, begin.plan, begin.frontier, target)
    ppo = PPO(config, vec, begin.ppo.network)
    return dataclasses.replace(begin, ppo=ppo), runner, config


@dataclass
class Run:
    """The chunk loop's bookkeeping: rows, counters, success estimate, best snapshot."""

    config: TrainConfig
    num_experts: int
    age_bins: int
    budget_frames: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    frames: int = 0
    updates: int = 0
    compile_s: float = 0.0
    rate: float = math.nan
    estimate: tuple[float, float, float, int] = (math.nan, math.nan, math.nan, 0)
    best_state: Any = None
    latest_is_best: bool = True  # while success has not fallen since its best, keep the newest
    # host copies of (params, opt_state) at chunk ends, by updates done: the estimate is
    # about episodes that started a while ago, so the best state is an earlier snapshot
    snapshots: dict[int, Any] = field(default_factory=dict)
    started: float = field(default_factory=time.perf_counter)
    frontier_counts: list[tuple[int, int]] = field(default_factory=list)  # (episodes, done)
    step_counts: list[np.ndarray] = field(default_factory=list)  # fresh final-step counts
    # per update: fresh episodes that failed at each step, by cause; resolved episodes
    failure_counts: list[tuple[dict[str, np.ndarray], int]] = field(default_factory=list)
    shares: list[float] = field(default_factory=list)  # frontier share of each chunk
    targets: list[int] = field(default_factory=list)  # frontier target step of each chunk
    # the game's reward was added (game_reward_rescue) at this many frames; rescue_due: the
    # chunk loop has yet to switch the env
    game_reward_from: int | None = None
    rescue_rate: float = math.nan  # the estimate when the game's reward was added
    best_since_rescue: float = math.nan  # the highest estimate read after it
    rescue_going_on: bool = False  # said once: a rescued run improves, so it goes on
    rescue_due: bool = False
    extended_chunks: int = 0
    # each chunk's success estimate and its interval's lower end (NaN before one exists)
    estimates: list[tuple[float, float]] = field(default_factory=list)
    rising_noted: bool = False  # said once: a run below the early-stop bar rises, so it goes on

    def __post_init__(self) -> None:
        cfg = self.config
        self.frames_per_expert = np.zeros(self.num_experts, np.int64)
        self.finished = SuccessTracker(cfg.success_window, cfg.min_episodes)
        self.tracker = HorizonTracker(cfg.success_window, cfg.min_episodes, self.age_bins)
        self.monitor = RunMonitor(
            threshold=cfg.success_threshold,
            budget_frames=self.budget_frames,
            collapse_drop=cfg.collapse_drop,
            early_stop_after=cfg.early_stop_after,
            early_stop_below=cfg.early_stop_below,
            early_stop_patience=cfg.early_stop_patience,
        )

    def record_chunk(self, chunk: int, metrics: dict[str, Any], elapsed: float, runner) -> dict:
        """Rows, estimate, best snapshot and warnings of one chunk; its CSV rows are returned
        as well (for loggers)."""
        cfg = self.config
        if chunk == 0:
            self.compile_s = elapsed  # includes the first chunk's run
        finished = self.finished.add(metrics["episodes"], metrics["plans_completed"])
        curve = self.tracker.add(metrics["horizon_resolved"], metrics["horizon_succeeded"])
        self.frames_per_expert += metrics["frames_per_expert"].sum(axis=0)
        sps = cfg.frames_per_chunk / max(elapsed, 1e-9)
        new_rows = []
        for i in range(cfg.updates_per_chunk):
            self.frontier_counts.append(
                (int(metrics["frontier_episodes"][i]), int(metrics["frontier_completed"][i]))
            )
            self.step_counts.append(np.asarray(metrics["final_step_counts"][i]))
            causes = {c: np.asarray(metrics[f"failed_{c}"][i]) for c in FAILURES}
            self.failure_counts.append((causes, int(np.sum(metrics["horizon_resolved"][i]))))
            self.updates += 1
            self.frames += cfg.batch_size
            episodes = int(metrics["episodes"][i])
            completed = int(metrics["plans_completed"][i])
            row = {
                "update": self.updates,
                "frames": self.frames,
                "wall_s": round(time.perf_counter() - self.started, 3),
                "sps": round(sps, 1),
                "episodes": episodes,
                "plans_completed": completed,
                "success_raw": completed / episodes if episodes else math.nan,
                "success_finished": float(finished[i]),
                "success_rate": curve[i][0],
                "success_low": curve[i][1],
                "success_high": curve[i][2],
                "success_episodes": curve[i][3],
                "reached": reached(curve[i][0], cfg.success_threshold),
                "verdict": "",
            }
            for name in LOSS_FIELDS:
                row[name] = float(metrics[name][i])
            new_rows.append(row)
        self.rows.extend(new_rows)
        self.estimate = self.tracker.estimate()
        self.rate = self.estimate[0]
        self.estimates.append((float(self.estimate[0]), float(self.estimate[1])))
        self._keep_best(chunk, runner)
        return {"rows": new_rows, "sps": sps}

    def _keep_best(self, chunk: int, runner: RunnerState) -> None:
        """Snapshot this chunk; keep the one the best estimate is about; warn on collapse."""
        cfg, monitor = self.config, self.monitor
        self.snapshots[self.updates] = _host_copy(runner)
        first, last = self.tracker.cohorts()
        policy_update = max([u for u in self.snapshots if u <= (first + last) // 2] or [0])
        for u in [u for u in self.snapshots if u < policy_update]:
            del self.snapshots[u]
        warned = len(monitor.warnings)
        recent = [r["episode_return"] for r in self.rows[-cfg.success_window :] if r["episodes"]]
        recent_return = float(np.mean(recent)) if recent else math.nan
        improved = monitor.observe(
            chunk, self.updates, self.frames, self.estimate, recent_return, policy_update
        )
        if improved:
            self.best_state = self.snapshots[policy_update]
        if not math.isnan(self.rate):
            self.latest_is_best = improved
        if len(monitor.warnings) > warned:
            message = monitor.warnings[-1]["message"]
            log.warning("%s", message)
            print(f"flowrl train: warning: {message}", file=sys.stderr, flush=True)

    def frontier_rate(self) -> float:
        """Plan success of frontier-start episodes over the window (NaN with too few)."""
        recent = self.frontier_counts[-self.config.success_window :]
        episodes = sum(e for e, _ in recent)
        if episodes < self.config.min_episodes:
            return math.nan
        return sum(c for _, c in recent) / episodes

    def step_completion(self) -> list[float | None]:
        """Share of the window's fresh episodes that completed each plan step (an earlier
        step falling here while the new one trains is forgetting)."""
        if not self.step_counts:
            return []
        counts = np.sum(self.step_counts[-self.config.success_window :], axis=0)
        total = counts.sum()
        reached = _reached(counts)
        return [float(reached[k + 1] / total) if total else None for k in range(len(counts) - 1)]

    def failures(self) -> dict[str, Any]:
        """How the window's resolved fresh episodes failed, as shares of them at each plan
        step: starved, killed, out of time (:data:`flowrl.rl.success.FAILURES`); empty
        before any episode resolved."""
        recent = self.failure_counts[-self.config.success_window :]
        resolved = sum(n for _, n in recent)
        if not resolved:
            return {}
        shares = {
            cause: np.sum([c[cause] for c, _ in recent], axis=0)[:-1] / resolved
            for cause in FAILURES
        }
        return {
            "episodes": int(resolved),
            **{cause: [round(float(x), 4) for x in v] for cause, v in shares.items()},
        }

    def still_rising(self, chunk: int) -> bool:
        """The best estimate (a real one) rose within the last ``extend_patience`` chunks."""
        best = self.monitor.best
        return not math.isnan(best.rate) and best.chunk > chunk - self.config.extend_patience

    def extend(self, chunk: int, num_chunks: int, max_chunks: int) -> bool:
        """With the budget (``num_chunks``) spent: one chunk more while success still
        rises, up to ``max_chunks`` in all."""
        if chunk >= max_chunks or not self.still_rising(chunk - 1):
            return False
        self.extended_chunks += 1
        if self.extended_chunks == 1:
            extra = (max_chunks - num_chunks) * self.config.frames_per_chunk
            message = (
                f"budget spent at {self.rate:.3f} while success still rose; extending "
                f"by up to {extra:,} frames"
            )
            log.info("%s", message)
            print(f"flowrl train: {message}", file=sys.stderr, flush=True)
        return True

    def _rearm(self, cfg: TrainConfig) -> None:
        """Go on: the early stop's reason is cleared and it checks again
        ``early_stop_after`` of the budget from now."""
        self.monitor.stop_reason = None
        self.monitor.early_stop_after = self.frames / self.budget_frames + cfg.early_stop_after

    def _rising_from_below(self, cfg: TrainConfig) -> bool:
        """Below the early-stop bar but on its way, so neither stopped nor rescued: the
        estimate is at least half the bar and its interval's lower end lies above the
        estimate of ``extend_patience`` chunks ago. The early stop is for runs that show
        nothing; the game's reward lures a learning expert to side achievements and fights
        (depth runs: Collect Iron rising from 0.03 to 0.065 at the check was rescued, and
        62% of its fresh episodes then died on the iron step; unrescued retries of the same
        expert climbed to 0.69-0.72). The check is re-armed ``early_stop_after`` later."""
        k = cfg.extend_patience
        if len(self.estimates) <= k:
            return False
        rate, low = self.estimates[-1]
        before = self.estimates[-1 - k][0]
        below = self.monitor.early_stop_below
        if not (below / 2 <= rate < below and low > before):  # NaN reads as not rising
            return False
        if not self.rising_noted:
            message = (
                f"{self.monitor.stop_reason}, but rising (its lower bound {low:.3f} is above "
                f"{before:.3f}, {k} chunks ago): going on, checked again later"
            )
            log.info("%s", message)
            print(f"flowrl train: {message}", file=sys.stderr, flush=True)
            self.rising_noted = True
        self._rearm(cfg)
        return True

    def _rescue(self, cfg: TrainConfig) -> bool:
        """A hopeless run on its own reward adds the game's (once) instead of stopping; the
        early stop is re-armed ``early_stop_after`` of the budget later. With the budget
        spent there is nothing left to learn it with, so the run stops."""
        if cfg.game_reward_rescue <= 0 or cfg.game_reward_weight > 0:
            return False
        if self.game_reward_from is not None:  # once per run
            return False
        if self.frames >= self.budget_frames:
            return False
        if not self.rate < self.monitor.early_stop_below:  # a plateau, not hopeless
            return False
        message = (
            f"{self.monitor.stop_reason}: adding the game's reward (weight "
            f"{cfg.game_reward_rescue:g}) instead of stopping"
        )
        log.warning("%s", message)
        print(f"flowrl train: {message}", file=sys.stderr, flush=True)
        self._rearm(cfg)
        self.game_reward_from = self.frames
        self.rescue_rate = self.rate
        self.rescue_due = True
        return True

    def _rescued_and_improving(self) -> bool:
        """A rescued run, hopeless again at the re-armed check, goes on while its best estimate
        stands ``early_stop_below / 2`` or more above where the rescue found it: the game's
        reward needs longer than one early-stop window (depth run: Eat Cow rescued at 0.52M
        frames read 0.06 at 1.05M; with the game's reward from the start it reaches 0.72 at
        2M). A run that did not move stops as before."""
        if self.game_reward_from is None or math.isnan(self.rescue_rate):
            return False
        if not self.rate < self.monitor.early_stop_below:  # a plateau stop is not ours
            return False
        gain = self.best_since_rescue - self.rescue_rate
        if not gain >= self.monitor.early_stop_below / 2:
            return False
        if not self.rescue_going_on:
            message = (
                f"{self.monitor.stop_reason}, but success rose {gain:.2f} since the game's "
                "reward was added: going on to the end of the budget"
            )
            log.info("%s", message)
            print(f"flowrl train: {message}", file=sys.stderr, flush=True)
            self.rescue_going_on = True
        self.monitor.stop_reason = None
        return True

    def should_stop(self, chunk: int) -> bool:
        """The threshold is reached, or the monitor stops a hopeless run."""
        cfg = self.config
        if self.game_reward_from is not None and not math.isnan(self.rate):
            seen = self.best_since_rescue
            self.best_since_rescue = self.rate if math.isnan(seen) else max(seen, self.rate)
        if reached(self.rate, cfg.success_threshold):
            log.info("success rate %.3f reached %.2f", self.rate, cfg.success_threshold)
            return True
        if self.monitor.should_stop_early(chunk, self.frames, self.rate):
            if self._rising_from_below(cfg) or self._rescue(cfg) or self._rescued_and_improving():
                return False
            message = f"stopped early: {self.monitor.stop_reason}"
            saved = self.budget_frames - self.frames
            log.warning("%s; %d frames of the budget saved", message, saved)
            print(f"flowrl train: {message}", file=sys.stderr, flush=True)
            return True
        return False


def _reached(final_step_counts: np.ndarray) -> np.ndarray:
    """Episodes that got to step ``>= j``, from those that ended on each step ``j``."""
    return final_step_counts[::-1].cumsum()[::-1]


def weakest_step(final_step_counts: np.ndarray, min_episodes: int) -> int | None:
    """The plan step ``k >= 1`` that fresh episodes reaching it complete least often
    (``final_step_counts[j]``: episodes that ended on step ``j``, ``j = num_tasks`` for a
    completed plan), among steps reached by at least ``min_episodes``; None if none is."""
    counts = np.asarray(final_step_counts, np.int64)
    reached = _reached(counts)
    best: tuple[float, int] | None = None
    for k in range(1, len(counts) - 1):
        if reached[k] >= max(1, min_episodes):
            rate = reached[k + 1] / reached[k]
            if best is None or rate < best[0]:
                best = (rate, k)
    return None if best is None else best[1]


def frontier_target(config: TrainConfig, run: Run, frontier: int) -> int:
    """The step frontier starts practise this chunk: ``frontier`` (the first step not
    warm-started) with ``frontier_target: new``; with ``weakest``, the step the window's
    fresh episodes complete least often once one has enough arrivals (for a new skill that
    is usually the frontier step itself; once it is learned, the old step the deep plan
    still loses most episodes at, e.g. the search for iron inside an iron-pickaxe plan)."""
    if config.frontier_target == "new" or not run.step_counts:
        return frontier
    window = np.sum(run.step_counts[-config.success_window :], axis=0)
    weakest = weakest_step(window, config.min_episodes)
    return frontier if weakest is None else weakest


def frontier_share(config: TrainConfig, rate: float) -> float:
    """The share of resets that start at the frontier, given the frontier episodes' success
    ``rate``: ``frontier_share`` while it is unknown or low, falling linearly to
    ``frontier_min_share`` as it climbs to the success threshold. Frames go where the plan
    fails; once the new step succeeds from its saved states, fresh episodes (what
    acceptance measures, and the earlier steps' rehearsal) get most of them."""
    high, low = config.frontier_share, min(config.frontier_min_share, config.frontier_share)
    if math.isnan(rate):
        return high
    progress = min(max(rate / max(config.success_threshold, 1e-9), 0.0), 1.0)
    return high - (high - low) * progress


def checkpoint_metadata(
    begin: Start, run: Run, game: GameSpec, verdict: bool | None, saved: str
) -> dict[str, Any]:
    """``metadata.json`` of a checkpoint: skills, plan, network, frames, the estimate of the
    saved parameters, warnings, settings and versions."""
    config, plan, ppo, best = run.config, begin.plan, begin.ppo, run.monitor.best
    per_skill = {
        name: begin.frames_before.get(name, 0) + int(run.frames_per_expert[expert])
        for name, expert in begin.skills.items()
    }
    return {
        "env_name": game.env_name,
        "skills": begin.skills,
        "plan": {
            "names": list(plan.names),
            "experts": list(plan.experts),
            "counts": list(plan.counts),
            # upkeep skills: run when a need is at or below `below`, until it is at `until`
            "upkeep": [
                {"skill": u.name, "need_index": u.stat, "below": u.below, "until": u.until}
                for u in begin.ppo.flow.upkeep
            ],
        },
        "network": {
            "kind": "ExpertActorCritic",
            "num_experts": plan.num_experts,
            "num_actions": ppo.flow.num_actions,
            "obs_size": ppo.obs_size,
            "width": config.width,
            "depth": config.depth,
            "activation": config.activation,
            "routing": config.routing,
        },
        "frames": run.frames,
        "updates": run.updates,
        "frames_per_expert": run.frames_per_expert.tolist(),
        "frames_per_skill": per_skill,
        # the estimate of the parameters saved here (the best chunk's when there is one)
        "success_rate": None if math.isnan(best.rate) else best.rate,
        "success_interval": None if math.isnan(best.rate) else [best.low, best.high],
        "success_episodes": best.episodes,
        "best": best.as_dict(),
        "saved_params": saved,  # "best": an earlier snapshot, success fell after it
        "last_success_rate": None if math.isnan(run.rate) else run.rate,
        "last_success_interval": _interval(run.estimate),
        "warnings": run.monitor.warnings,
        "stopped_early": run.monitor.stop_reason,
        "budget_frames": run.budget_frames,
        "extended_frames": run.extended_chunks * config.frames_per_chunk,
        "frontier": {
            "step": begin.frontier,
            "share_first": run.shares[0] if run.shares else None,
            "share_last": run.shares[-1] if run.shares else None,
            "success_rate": None if math.isnan(run.frontier_rate()) else run.frontier_rate(),
            "episodes": sum(e for e, _ in run.frontier_counts),
            # chunks spent practising each step (frontier_target: weakest moves it)
            "targets": {str(k): run.targets.count(k) for k in sorted(set(run.targets))},
        }
        if begin.frontier
        else None,
        "step_completion": run.step_completion(),
        "failures": run.failures(),
        # frames after which the game's reward was added (game_reward_rescue), or None
        "game_reward_from": run.game_reward_from,
        # the experts it was paid to (the one being learned), or None for every task
        "game_reward_experts": (
            list(ppo.flow.game_reward_experts) if config.game_reward_weight else None
        ),
        "success_horizon": ppo.horizon,
        "success_policy": SUCCESS_POLICY,
        "success_threshold": config.success_threshold,
        "success": verdict,
        "warm_started": begin.warm,
        "warm_started_optimizer": begin.warm_opt,
        "optimizer": {"kind": "clip_by_global_norm+adam", "per_expert": ppo.by_expert},
        "init": begin.init,
        "config": config.to_dict(),
        "config_hash": config.hash(),
        "versions": package_versions(),
        "created": utc_now(),
    }


def train(
    plan: Plan | str | Path,
    game: GameSpec | str,
    out_dir: str | Path,
    config: TrainConfig | None = None,
    init: str | Path | None = None,
    use_wandb: bool = False,
    progress: bool = True,
    keep: str = "best",
) -> TrainResult:
    """Train one expert per skill of ``plan`` on ``game``; write checkpoint and metrics.

    Args:
        plan: a loaded :class:`Plan`, a plan module path, or plan module source.
        game: the craftax game, or its name.
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
    config = config or load_config("cpu")
    game = as_game(game)
    plan = _as_plan(plan, game)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics_csv, checkpoint_dir = out_dir / METRICS_FILE, out_dir / CHECKPOINT_DIR

    # START: env, network, warm start, optimiser
    begin = start(plan, game, config, init)
    for message in slow_step_warnings(plan, game):
        log.warning("%s", message)
        print(f"flowrl train: warning: {message}", file=sys.stderr, flush=True)
    runner = begin.runner
    num_chunks = math.ceil(config.num_updates / config.updates_per_chunk)
    run = Run(config, plan.num_experts, begin.ppo.age_bins, num_chunks * config.frames_per_chunk)
    run.snapshots[0] = _host_copy(runner)
    logger = None
    if use_wandb:
        from flowrl.rl.wandb_log import WandbLogger

        logger = WandbLogger(out_dir, config.to_dict(), name=" -> ".join(plan.names))
    bar = _Progress(run.budget_frames, progress, plan.names[-1])

    def save(verdict: bool | None, state: Any, saved: str = "last") -> None:
        meta = checkpoint_metadata(begin, run, game, verdict, saved)
        save_checkpoint(checkpoint_dir, state[0], meta, plan.source, opt_state=state[1])

    # RUN CHUNKS: jitted updates, then record, then the stopping rules
    max_chunks = num_chunks + math.ceil(num_chunks * config.extend_max)
    try:
        chunk = 0
        while chunk < max_chunks:
            if begin.frontier:  # the share of frontier starts for this chunk, and where
                share = frontier_share(config, run.frontier_rate())
                target = frontier_target(config, run, begin.frontier)
                run.shares.append(share)
                run.targets.append(target)
                vec_state = runner.vec_state.replace(
                    prob=jnp.asarray(share, jnp.float32), target=jnp.asarray(target, jnp.int32)
                )
                runner = runner.replace(vec_state=vec_state)
            t0 = time.perf_counter()
            runner, metrics = begin.ppo.train_chunk(runner)
            metrics = jax.device_get(metrics)
            problem = chunk_problem(metrics, runner.params, begin.ppo.flow.task_names, run.updates)
            if problem:  # keep the last finite parameters, then stop
                save(False, run.snapshots[max(run.snapshots)], "last finite")
                raise PoisonedTraining(problem)
            recorded = run.record_chunk(chunk, metrics, time.perf_counter() - t0, runner)
            if logger is not None:
                for row in recorded["rows"]:
                    logger.log({k: v for k, v in row.items() if k != "verdict"}, step=row["frames"])
            bar.update(config.frames_per_chunk, run.rate, recorded["sps"])
            _write_csv(metrics_csv, run.rows)
            if run.should_stop(chunk):
                break
            if run.rescue_due:  # hopeless on its own reward: add the game's, go on
                begin, runner, config = with_game_reward(begin, runner, config, game)
                run.config, run.rescue_due = config, False
            every = config.checkpoint_every_chunks
            if every and (chunk + 1) % every == 0:
                save(None, _host_copy(runner))
            chunk += 1
            if chunk >= num_chunks and not run.extend(chunk, num_chunks, max_chunks):
                break
    finally:
        bar.close()
        if logger is not None:
            logger.finish()

    # CHECKPOINT: the best snapshot (or the last parameters) with the verdict
    best = run.monitor.best
    success = reached(best.rate, config.success_threshold)
    run.rows[-1]["verdict"] = "success" if success else "failure"
    _write_csv(metrics_csv, run.rows)
    keep_best = keep == "best" and run.best_state is not None and not run.latest_is_best
    saved = "best" if keep_best else "last"
    save(success, run.best_state if keep_best else _host_copy(runner), saved)
    return TrainResult(
        out_dir=out_dir,
        checkpoint_dir=checkpoint_dir,
        metrics_csv=metrics_csv,
        success_rate=best.rate,
        success=success,
        success_interval=(best.low, best.high),
        success_episodes=best.episodes,
        success_horizon=begin.ppo.horizon,
        last_success_rate=run.rate,
        best_update=best.update,
        warnings=run.monitor.warnings,
        stopped_early=run.monitor.stop_reason,
        frames_saved=max(0, run.budget_frames - run.frames) if run.monitor.stop_reason else 0,
        frames=run.frames,
        updates=run.updates,
        wall_s=time.perf_counter() - run.started,
        compile_s=run.compile_s,
        warm_started=begin.warm,
        skills=list(begin.skills),
        warm_started_optimizer=begin.warm_opt,
        step_completion=run.step_completion(),
        failures=run.failures(),
        game_reward_from=run.game_reward_from,
        extended_frames=run.extended_chunks * config.frames_per_chunk,
        frontier_step=begin.frontier,
    )
