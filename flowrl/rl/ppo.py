"""PPO in the PureJaxRL style: rollout, GAE and update inside one jitted chunk of updates.

:class:`PPO` owns the batched env, the network and the optimiser. ``train_chunk`` runs
``updates_per_chunk`` updates (``lax.scan``) without leaving the device and returns
per-update metrics; the Python loop in :mod:`flowrl.rl.trainer` shows progress, logs,
checkpoints and stops between chunks. Works for a flow env (one expert per plan step,
bootstrapping cut at plan-step boundaries) and for a plain game env (expert 0, no plan).
"""

from __future__ import annotations

from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from flax import struct

from flowrl.envs.flow_env import FlowEnv
from flowrl.envs.resets import ResetConfig, VecEnv
from flowrl.rl.config import TrainConfig
from flowrl.rl.gae import compute_gae, plan_step_cuts


@struct.dataclass
class RunnerState:
    """Everything that carries from one update to the next."""

    params: Any
    opt_state: Any
    vec_state: Any
    obs: jax.Array
    key: jax.Array
    update: jax.Array  # int32 (), updates done so far


@struct.dataclass
class Transition:
    obs: jax.Array
    expert: jax.Array
    action: jax.Array
    log_prob: jax.Array
    value: jax.Array
    reward: jax.Array
    cut: jax.Array


def reset_config(config: TrainConfig) -> ResetConfig:
    return ResetConfig(
        mode=config.reset_mode,
        reset_ratio=config.reset_ratio,
        pool_size=config.pool_size,
        refresh_every=config.refresh_every,
        refresh_size=config.refresh_size,
    )


def sample_action(key: jax.Array, logits: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Sampled action and its log-probability."""
    action = jax.random.categorical(key, logits)
    log_prob = jnp.take_along_axis(jax.nn.log_softmax(logits), action[..., None], -1)[..., 0]
    return action, log_prob


class PPO:
    """Jitted PPO over ``vec_env`` with ``network(obs, expert) -> (logits, value)``."""

    def __init__(self, config: TrainConfig, vec_env: VecEnv, network: nn.Module) -> None:
        self.config = config
        self.vec_env = vec_env
        self.network = network
        single = vec_env.env
        self.flow = single if isinstance(single, FlowEnv) else None
        self.num_tasks = self.flow.num_tasks if self.flow else 1
        self.num_experts = self.flow.plan.num_experts if self.flow else 1
        self.obs_size = int(
            self.flow.observation_size()
            if self.flow
            else single.env.observation_space(single.params).shape[0]
        )
        self.num_minibatches = config.num_minibatches
        schedule: Any = config.lr
        if config.anneal_lr:
            steps = config.num_updates * config.update_epochs * config.num_minibatches

            def schedule(count: jax.Array) -> jax.Array:
                return config.lr * jnp.maximum(1.0 - count / steps, 0.0)

        self.optimizer = optax.chain(
            optax.clip_by_global_norm(config.max_grad_norm),
            optax.adam(learning_rate=schedule, eps=1e-5),
        )
        self.train_chunk = jax.jit(self._train_chunk, donate_argnums=0)

    # --- setup ------------------------------------------------------------------
    def init_params(self, key: jax.Array) -> Any:
        obs = jnp.zeros((1, self.obs_size), jnp.float32)
        return self.network.init(key, obs, jnp.zeros((1,), jnp.int32))

    def init(self, key: jax.Array, params: Any = None) -> RunnerState:
        """Fresh envs and optimiser; fresh params unless ``params`` (a warm start) is given."""
        key, net_key, env_key = jax.random.split(key, 3)
        if params is None:
            params = self.init_params(net_key)
        obs, vec_state = jax.jit(self.vec_env.reset)(env_key)
        return RunnerState(
            params=params,
            opt_state=self.optimizer.init(params),
            vec_state=vec_state,
            obs=obs,
            key=key,
            update=jnp.zeros((), jnp.int32),
        )

    def experts_of(self, vec_state: Any) -> jax.Array:
        """Expert index of each env's current plan step (zeros for a plain game)."""
        if self.flow is None:
            return jnp.zeros((self.vec_env.num_envs,), jnp.int32)
        return self.flow.expert_index(vec_state.env_state.player_state)

    # --- one update ---------------------------------------------------------------
    def _rollout(self, runner: RunnerState) -> tuple[RunnerState, Transition, dict[str, Any]]:
        def step(carry: RunnerState, _: None) -> tuple[RunnerState, tuple[Transition, Any]]:
            key, act_key, env_key = jax.random.split(carry.key, 3)
            expert = self.experts_of(carry.vec_state)
            logits, value = self.network.apply(carry.params, carry.obs, expert)
            action, log_prob = sample_action(act_key, logits)
            obs, vec_state, reward, done, info = self.vec_env.step(env_key, carry.vec_state, action)
            if self.flow is None:
                task_done = jnp.zeros_like(done)
                plan_complete = jnp.zeros_like(done)
                final_step = jnp.zeros_like(expert)
            else:
                task_done = info["task_done"]
                plan_complete = info["plan_complete"]
                final_step = info["player_state"]
            transition = Transition(
                obs=carry.obs,
                expert=expert,
                action=action,
                log_prob=log_prob,
                value=value,
                reward=reward,
                cut=plan_step_cuts(done, task_done),
            )
            stats = (done, jnp.logical_and(done, plan_complete), final_step, info)
            carry = carry.replace(vec_state=vec_state, obs=obs, key=key)
            return carry, (transition, stats)

        runner, (traj, stats) = jax.lax.scan(step, runner, None, length=self.config.num_steps)
        done, completed, final_step, info = stats
        metrics = self._episode_metrics(done, completed, final_step, info, traj.expert)
        return runner, traj, metrics

    def _episode_metrics(
        self, done: jax.Array, completed: jax.Array, final_step: jax.Array, info: Any, expert
    ) -> dict[str, jax.Array]:
        finished = done.sum()
        denom = jnp.maximum(finished, 1)
        steps = jnp.arange(self.num_tasks + 1)
        reached = (final_step[..., None] == steps) & done[..., None]
        return {
            "episodes": finished,
            "plans_completed": completed.sum(),
            "episode_return": jnp.where(done, info["episode_return"], 0.0).sum() / denom
            if "episode_return" in info
            else jnp.zeros(()),
            "episode_length": jnp.where(done, info["episode_length"], 0).sum() / denom
            if "episode_length" in info
            else jnp.zeros(()),
            "final_step_counts": reached.sum(axis=(0, 1)),
            "frames_per_expert": jnp.bincount(expert.reshape(-1), length=self.num_experts),
        }

    def _loss(self, params: Any, batch: Transition, advantages, targets) -> tuple[jax.Array, Any]:
        cfg = self.config
        logits, value = self.network.apply(params, batch.obs, batch.expert)
        log_probs = jax.nn.log_softmax(logits)
        log_prob = jnp.take_along_axis(log_probs, batch.action[:, None], -1)[:, 0]
        entropy = -(jnp.exp(log_probs) * log_probs).sum(-1).mean()
        value_clipped = batch.value + (value - batch.value).clip(-cfg.clip_eps, cfg.clip_eps)
        value_loss = (
            0.5
            * jnp.maximum(jnp.square(value - targets), jnp.square(value_clipped - targets)).mean()
        )
        ratio = jnp.exp(log_prob - batch.log_prob)
        adv = (advantages - advantages.mean()) / (advantages.std() + 1e-8)
        actor_loss = -jnp.minimum(
            ratio * adv, jnp.clip(ratio, 1.0 - cfg.clip_eps, 1.0 + cfg.clip_eps) * adv
        ).mean()
        total = actor_loss + cfg.vf_coef * value_loss - cfg.ent_coef * entropy
        approx_kl = ((ratio - 1.0) - jnp.log(ratio)).mean()
        return total, {
            "actor_loss": actor_loss,
            "value_loss": value_loss,
            "entropy": entropy,
            "approx_kl": approx_kl,
        }

    def _update(self, runner: RunnerState, traj: Transition, advantages, targets):
        cfg = self.config
        batch_size = cfg.batch_size
        flat = jax.tree.map(lambda x: x.reshape((batch_size, *x.shape[2:])), traj)
        flat_adv, flat_tgt = advantages.reshape(-1), targets.reshape(-1)
        grad_fn = jax.value_and_grad(self._loss, has_aux=True)

        def epoch(carry, _):
            params, opt_state, key = carry
            key, perm_key = jax.random.split(key)
            perm = jax.random.permutation(perm_key, batch_size).reshape(self.num_minibatches, -1)

            def minibatch(carry, idx):
                params, opt_state = carry
                mb = jax.tree.map(lambda x: x[idx], flat)
                (_, aux), grads = grad_fn(params, mb, flat_adv[idx], flat_tgt[idx])
                updates, opt_state = self.optimizer.update(grads, opt_state, params)
                return (optax.apply_updates(params, updates), opt_state), aux

            (params, opt_state), aux = jax.lax.scan(minibatch, (params, opt_state), perm)
            return (params, opt_state, key), aux

        key, update_key = jax.random.split(runner.key)
        (params, opt_state, _), aux = jax.lax.scan(
            epoch, (runner.params, runner.opt_state, update_key), None, length=cfg.update_epochs
        )
        runner = runner.replace(params=params, opt_state=opt_state, key=key)
        return runner, jax.tree.map(jnp.mean, aux)

    def update_step(self, runner: RunnerState, _: Any = None) -> tuple[RunnerState, Any]:
        """One PPO update: rollout, GAE with plan-step cuts, epochs of minibatch steps."""
        runner, traj, metrics = self._rollout(runner)
        _, last_value = self.network.apply(
            runner.params, runner.obs, self.experts_of(runner.vec_state)
        )
        advantages, targets = compute_gae(
            traj.reward, traj.value, traj.cut, last_value, self.config.gamma, self.config.gae_lambda
        )
        runner, losses = self._update(runner, traj, advantages, targets)
        runner = runner.replace(update=runner.update + 1)
        return runner, {**metrics, **losses}

    def _train_chunk(self, runner: RunnerState) -> tuple[RunnerState, Any]:
        return jax.lax.scan(self.update_step, runner, None, length=self.config.updates_per_chunk)


def make_flow_vec_env(config: TrainConfig, env_name: str, plan: Any) -> VecEnv:
    """The batched flow env a training run of ``plan`` uses."""
    env = FlowEnv(
        env_name,
        plan,
        closest_k=config.closest_k,
        completion_bonus=config.completion_bonus,
        max_episode_steps=config.max_episode_steps,
    )
    return VecEnv(env, config.num_envs, reset_config(config))
