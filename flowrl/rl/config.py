"""Trainer configuration: one dataclass, named profiles (cpu, gpu), YAML overrides.

Defaults follow the Craftax baselines (lr 2e-4, gamma 0.99, GAE lambda 0.8, clip 0.2,
ent 0.01, vf 0.5, 4 epochs, 8 minibatches, 64 steps). Profiles size ``num_envs`` and
``width`` for the machine; a YAML file (flat keys, or keys under ``train:``) overrides them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROUTING_MODES = ("auto", "select", "gather", "ragged")
MINIBATCHING = ("expert", "expert_exact", "mixed")
ACTIVATIONS = ("tanh", "relu", "gelu")
FRONTIER_TARGETS = ("new", "weakest")


@dataclass(frozen=True)
class TrainConfig:
    """Every knob of one training run (PPO, network, success/stopping, env, logging)."""

    # budget and batch
    total_timesteps: int = 5_000_000
    num_envs: int = 128
    num_steps: int = 64
    updates_per_chunk: int = 8  # updates run inside one jitted call between progress/logging
    seed: int = 0
    # PPO (Craftax baselines)
    lr: float = 2e-4
    anneal_lr: bool = True
    gamma: float = 0.99
    gae_lambda: float = 0.8
    clip_eps: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 1.0
    update_epochs: int = 4
    num_minibatches: int = 8
    # network (one actor-critic expert per skill)
    width: int = 256
    depth: int = 3
    activation: str = "tanh"
    routing: str = "auto"  # select: run all experts, pick; gather: per-sample weights; auto
    # expert: each update minibatch holds one expert's samples, round(n_e / M) minibatches
    # per expert (cost ~ one network); expert_exact: ceil(n_e / M), every sample used;
    # mixed: random minibatches over all samples, every expert run on every row
    minibatching: str = "expert"
    # success and stopping
    success_threshold: float = 0.8
    success_window: int = 10  # updates the success rate is smoothed over
    min_episodes: int = 32  # resolved episodes in the window needed for an estimate
    # success = plan completed within this many steps of a fresh episode's start (an episode
    # still running then is a failure); capped at the episode limit, 0 = the episode limit
    success_horizon: int = 1000
    # a longer plan gets at least this many steps per plan step (a 7-step plan: 1400), so
    # a deep plan is not judged on the horizon of a short one; 0 turns it off
    success_horizon_per_step: int = 200
    # best checkpoint and collapse warning: warn when success falls this far below its peak
    # while the episode return rises (flowrl.rl.monitor)
    collapse_drop: float = 0.1
    # early stop of a hopeless run: after this share of the budget, stop when the success
    # estimate is below early_stop_below, or (patience > 0) when no chunk has set a new best
    # for early_stop_patience chunks; early_stop_below 0 and patience 0 turn it off
    early_stop_after: float = 0.25
    early_stop_below: float = 0.1
    early_stop_patience: int = 0
    # more frames for a run still rising: when the budget is spent below the threshold and
    # the best estimate rose within the last extend_patience chunks, go on, chunk by chunk,
    # up to extend_max x the budget in extra frames (0 turns it off); the learning rate
    # anneals over the budget plus that cap, so extra updates never run at rate 0
    extend_max: float = 0.5
    extend_patience: int = 4
    # frontier starts (flowrl.envs.frontier): a share of finished episodes restarts from a
    # state saved where the plan entered its frontier step (the first step whose expert is
    # not warm-started). The share is frontier_share while that step is unreliable from
    # its saved states and falls linearly to frontier_min_share as their success rate
    # climbs to success_threshold (flowrl.rl.trainer.frontier_share). 0 turns it off.
    # Success estimates count fresh episodes only.
    frontier_share: float = 0.5
    frontier_min_share: float = 0.1
    frontier_size: int = 0  # saved states per batch; 0 -> num_envs
    # which step frontier starts practise: "new" (the frontier step, always) or "weakest"
    # (each chunk, the step >= 1 that fresh episodes reaching it complete least often, among
    # steps with min_episodes arrivals in the window; the frontier step until then)
    frontier_target: str = "weakest"
    # flow env
    completion_bonus: float = 1.0
    # taken from the acting skill's reward when the player dies (docs/training.md, "Dying
    # costs"): without it a skill's reward is silent about death beyond the last hit's
    # 0.1 x health change, and the depth run's Collect Iron lost 18-31% of its episodes to
    # zombies on the way to iron; 0 turns it off
    death_penalty: float = 1.0
    # the game's own reward (new achievements, 0.1 x health change) added to every plan
    # step's reward at this weight (docs/training.md, "Skills that plain PPO can learn")
    game_reward_weight: float = 0.0
    # ... and the weight it switches to, once, when a run's own reward is hopeless at the
    # early-stop check (below early_stop_below after early_stop_after of the budget),
    # instead of stopping: the game's reward pays the primitives (walk to things, face them,
    # DO, stay alive) a narrow skill reward does not, which makes Eat Cow and Defeat Zombie
    # learnable, while skills that learn on their own reward keep it pure (the game's
    # reward lures their experts to side achievements and fights); 0 turns it off
    game_reward_rescue: float = 1.0
    # upkeep (flowrl.skills.upkeep): a plan's upkeep skills take over while food, drink
    # or energy is low, then the interrupted step goes on; False never runs them
    upkeep: bool = True
    max_episode_steps: int | None = None
    closest_k: int = 5
    reset_mode: str = "pool"
    pool_size: int = 0  # 0 -> 2 x num_envs
    # pool resets: a world handed out is regenerated soon after, refresh_size at a time
    # (0: max(8, num_envs // 16)), checked every refresh_every steps (flowrl.envs.resets)
    refresh_every: int = 1
    refresh_size: int = 0
    reset_ratio: int = 16
    # outputs
    checkpoint_every_chunks: int = 0  # 0: checkpoint only at the end

    def __post_init__(self) -> None:
        if self.routing not in ROUTING_MODES:
            raise ValueError(f"routing {self.routing!r} unknown; choose one of {ROUTING_MODES}")
        if self.minibatching not in MINIBATCHING:
            raise ValueError(
                f"minibatching {self.minibatching!r} unknown; choose one of {MINIBATCHING}"
            )
        if self.frontier_target not in FRONTIER_TARGETS:
            raise ValueError(
                f"frontier_target {self.frontier_target!r} unknown; choose {FRONTIER_TARGETS}"
            )
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation {self.activation!r} unknown; choose {ACTIVATIONS}")
        if self.batch_size % self.num_minibatches:
            raise ValueError(
                f"num_envs*num_steps ({self.batch_size}) must divide by num_minibatches "
                f"({self.num_minibatches})"
            )
        for name in (
            "success_threshold",
            "early_stop_after",
            "early_stop_below",
            "frontier_share",
            "frontier_min_share",
        ):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must lie in [0, 1]")
        if self.success_horizon < 0 or self.early_stop_patience < 0:
            raise ValueError("success_horizon and early_stop_patience must be >= 0")
        if self.success_horizon_per_step < 0:
            raise ValueError("success_horizon_per_step must be >= 0 (0 turns it off)")
        if self.extend_max < 0 or self.extend_patience < 1 or self.frontier_size < 0:
            raise ValueError("extend_max and frontier_size must be >= 0, extend_patience >= 1")
        if min(self.num_envs, self.num_steps, self.updates_per_chunk, self.success_window) < 1:
            raise ValueError("num_envs, num_steps, updates_per_chunk, success_window must be >= 1")

    @property
    def batch_size(self) -> int:
        return self.num_envs * self.num_steps

    @property
    def frames_per_chunk(self) -> int:
        return self.batch_size * self.updates_per_chunk

    @property
    def num_updates(self) -> int:
        """Updates the step budget allows (at least one)."""
        return max(1, int(self.total_timesteps) // self.batch_size)

    @property
    def max_updates(self) -> int:
        """Updates with the largest extension (the learning rate anneals over these)."""
        return self.num_updates + int(self.num_updates * self.extend_max)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def hash(self) -> str:
        """Short stable hash of every setting (recorded in checkpoints)."""
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def replace(self, **changes: Any) -> TrainConfig:
        return dataclasses.replace(self, **changes)


PROFILES: dict[str, dict[str, Any]] = {
    # 2-core CPU: small batch, quick updates (see docs/training.md for the measurements)
    "cpu": {"num_envs": 128, "width": 256, "updates_per_chunk": 8},
    # one GPU: wide batch and network, long chunks so Python is rarely on the critical path
    "gpu": {"num_envs": 1024, "width": 512, "updates_per_chunk": 16},
}


def _coerce(name: str, value: Any) -> Any:
    fields = {f.name: f for f in dataclasses.fields(TrainConfig)}
    if name not in fields:
        raise ValueError(f"unknown training setting {name!r}; known: {', '.join(sorted(fields))}")
    default = getattr(TrainConfig, name, None)
    if name == "total_timesteps" or isinstance(default, bool):
        return bool(value) if isinstance(default, bool) else int(float(value))
    if isinstance(default, int) and value is not None:
        return int(value)
    if isinstance(default, float) and value is not None:
        return float(value)
    return value


def read_config_file(path: str | Path) -> dict[str, Any]:
    """Training settings from a YAML file: the ``train:`` section if any, else the top level."""
    import yaml

    data = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of settings")
    section = data.get("train", data)
    return dict(section)


def load_config(
    profile: str | None = "cpu",
    path: str | Path | None = None,
    **overrides: Any,
) -> TrainConfig:
    """Profile defaults, then a YAML file's settings, then keyword overrides (None skipped).

    A file may name its own ``profile:``; an explicit ``profile`` argument wins only when the
    file names none.
    """
    settings: dict[str, Any] = {}
    file_settings = read_config_file(path) if path else {}
    profile = file_settings.pop("profile", None) or profile
    if profile:
        if profile not in PROFILES:
            raise ValueError(f"profile {profile!r} unknown; choose one of {sorted(PROFILES)}")
        settings.update(PROFILES[profile])
    settings.update(file_settings)
    settings.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig(**{k: _coerce(k, v) for k, v in settings.items()})
