"""PPO in the PureJaxRL style: rollout, GAE and update inside one jitted chunk of updates.

:class:`PPO` owns the batched env, the network and the optimiser. ``train_chunk`` runs
``updates_per_chunk`` updates (``lax.scan``) without leaving the device and returns
per-update metrics; the Python loop in :mod:`flowrl.rl.trainer` shows progress, logs,
checkpoints and stops between chunks. The env is a batched flow env
(:mod:`flowrl.rl.train_env`): one expert per plan step, bootstrapping cut at plan-step
boundaries; plain PPO on the game's reward is a one-step plan (:mod:`flowrl.rl.baseline`).

With several experts the update uses expert minibatches (:mod:`flowrl.rl.minibatches`):
each minibatch step trains one expert's parameter slice with its own Adam state, so an
update costs about one network whatever the number of experts. The rollout runs only the
actor; critic values are computed after it, each expert on its own rows.
"""

from __future__ import annotations

from typing import Any, cast

import flax.linen as nn
import jax
import jax.numpy as jnp
import optax
from flax import struct

from flowrl.envs.flow_env import FlowEnv
from flowrl.envs.frontier import FrontierVecEnv
from flowrl.envs.resets import VecEnv
from flowrl.rl.config import TrainConfig
from flowrl.rl.gae import compute_gae, plan_step_cuts
from flowrl.rl.guard import suspect_reward_counts
from flowrl.rl.minibatches import ExpertMinibatches, expert_minibatches
from flowrl.rl.networks import (
    ExpertActorCritic,
    apply_expert,
    expert_params,
    set_expert_params,
)
from flowrl.rl.success import age_bins, failure_counts, horizon_counts
from flowrl.rl.train_env import success_horizon

LOSS_NAMES = ("actor_loss", "value_loss", "entropy", "approx_kl")


class RunnerState(struct.PyTreeNode):
    """Everything that carries from one update to the next."""

    params: Any
    opt_state: Any
    vec_state: Any
    obs: jax.Array
    key: jax.Array
    update: jax.Array  # int32 (), updates done so far


class Transition(struct.PyTreeNode):
    obs: jax.Array
    expert: jax.Array
    action: jax.Array
    log_prob: jax.Array
    value: jax.Array
    reward: jax.Array
    cut: jax.Array


def sample_action(key: jax.Array, logits: jax.Array) -> tuple[jax.Array, jax.Array]:
    """Sampled action and its log-probability."""
    action = jax.random.categorical(key, logits)
    log_prob = jnp.take_along_axis(jax.nn.log_softmax(logits), action[..., None], -1)[..., 0]
    return action, log_prob


class PPO:
    """Jitted PPO over ``vec_env`` with ``network(obs, expert) -> (logits, value)``."""

    def __init__(
        self, config: TrainConfig, vec_env: VecEnv | FrontierVecEnv, network: nn.Module
    ) -> None:
        self.config = config
        self.vec_env = vec_env
        self.network = network
        flow = vec_env.env
        if not isinstance(flow, FlowEnv):
            raise TypeError("PPO trains on a batched FlowEnv (flowrl.rl.train_env)")
        self.flow: FlowEnv = flow
        self.num_tasks = flow.num_tasks
        self.num_experts = flow.plan.num_experts
        self.obs_size = flow.observation_size()
        self.num_minibatches = config.num_minibatches
        # success within a horizon, counted by episode start (flowrl.rl.success.HorizonTracker)
        self.horizon = success_horizon(
            config, int(flow.default_params.max_timesteps), flow.num_tasks
        )
        self.age_bins = age_bins(self.horizon, config.num_steps)
        # expert minibatching: each minibatch trains one expert's slice of the params with
        # that expert's own optimiser state (experts share no parameters)
        self.by_expert = (
            isinstance(network, ExpertActorCritic)
            and network.num_experts > 1
            and config.minibatching in ("expert", "expert_exact")
        )
        self.exact = config.minibatching != "expert"
        self.partition_experts = network.num_experts if self.by_expert else 1
        # Adam directions; the (annealed) learning rate is applied per update in _update
        self.optimizer = optax.chain(
            optax.clip_by_global_norm(config.max_grad_norm),
            optax.scale_by_adam(eps=1e-5),
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
            opt_state=self.init_optimizer(params),
            vec_state=vec_state,
            obs=obs,
            key=key,
            update=jnp.zeros((), jnp.int32),
        )

    def init_optimizer(self, params: Any) -> Any:
        """Fresh optimiser state: one per expert (leading axis) with expert minibatching."""
        return (
            jax.vmap(self.optimizer.init)(params) if self.by_expert else self.optimizer.init(params)
        )

    def experts_of(self, vec_state: Any) -> jax.Array:
        """Expert index of each env's current plan step."""
        return self.flow.expert_of(vec_state.env_state)

    # --- one update ---------------------------------------------------------------
    def _rollout(self, runner: RunnerState) -> tuple[RunnerState, Transition, dict[str, Any]]:
        def step(carry: RunnerState, _: None) -> tuple[RunnerState, tuple[Transition, Any]]:
            key, act_key, env_key = jax.random.split(carry.key, 3)
            expert = self.experts_of(carry.vec_state)
            logits = self.network.apply(carry.params, carry.obs, expert, method="policy")
            action, log_prob = sample_action(act_key, logits)  # type: ignore[arg-type]  # flax Module.apply is typed as a union with the mutable-state tuple
            obs, vec_state, reward, done, info = self.vec_env.step(env_key, carry.vec_state, action)
            transition = Transition(
                obs=carry.obs,
                expert=expert,
                action=action,
                log_prob=log_prob,
                value=jnp.zeros_like(log_prob),  # filled in by _values after the rollout
                reward=reward,
                cut=plan_step_cuts(done, info["task_switch"]),
            )
            stats = (done, info)
            carry = carry.replace(vec_state=vec_state, obs=obs, key=key)
            return carry, (transition, stats)

        update = runner.update
        runner, (traj, (done, info)) = jax.lax.scan(
            step, runner, None, length=self.config.num_steps
        )
        # estimates count episodes that started fresh; frontier starts are practice only
        fresh_done = done & info["fresh"]
        completed = fresh_done & info["plan_complete"]
        metrics = self._episode_metrics(fresh_done, completed, info["plan_step"], info, traj.expert)
        metrics.update(self._horizon_metrics(update, fresh_done, completed, info))
        metrics.update(failure_counts(done, info, self.horizon, self.num_tasks))
        frontier_done = done & ~info["fresh"]
        metrics["frontier_episodes"] = frontier_done.sum()
        metrics["frontier_completed"] = (frontier_done & info["plan_complete"]).sum()
        # for flowrl.rl.guard: which plan step paid a non-finite or huge reward
        metrics["nonfinite_rewards"] = (~jnp.isfinite(traj.reward)).sum()
        metrics["suspect_rewards"] = suspect_reward_counts(
            traj.reward, info["task"], self.num_tasks + len(self.flow.upkeep)
        )
        return runner, traj, metrics

    def _horizon_metrics(self, update: jax.Array, done, completed, info) -> dict[str, jax.Array]:
        """Fresh episodes resolved this update (ended within the horizon, or passed it
        still running) and those that completed the plan within it, binned by age = this
        update minus the update the episode started in."""
        return horizon_counts(
            update,
            done,
            completed,
            info["episode_length"],
            self.horizon,
            self.config.num_steps,
            self.age_bins,
            fresh=info["fresh"],
        )

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
            "episode_return": jnp.where(done, info["episode_return"], 0.0).sum() / denom,
            "episode_length": jnp.where(done, info["episode_length"], 0).sum() / denom,
            "final_step_counts": reached.sum(axis=(0, 1)),
            "frames_per_expert": jnp.bincount(expert.reshape(-1), length=self.num_experts),
        }

    def learning_rate(self, update: jax.Array) -> jax.Array:
        """The learning rate of update number ``update``: with ``anneal_lr``, linear toward 0
        at the budget's end plus the largest extension (``TrainConfig.max_updates``), so
        every update that runs, extended ones included, has a positive rate."""
        cfg = self.config
        if not cfg.anneal_lr:
            return jnp.asarray(cfg.lr, jnp.float32)
        return cfg.lr * jnp.maximum(1.0 - update / (cfg.max_updates + 1), 0.0)

    def _take(self, tree: Any, expert: jax.Array) -> Any:
        return expert_params(tree, expert) if self.by_expert else tree

    def _put(self, tree: Any, expert: jax.Array, sub: Any) -> Any:
        return set_expert_params(tree, expert, sub) if self.by_expert else sub

    def _over_expert_minibatches(
        self, minibatches: ExpertMinibatches, step, state: Any, acc: Any
    ) -> tuple[Any, Any]:
        """For each expert e: take its slice of ``state``, run ``step(sub, acc, i)`` over
        its minibatches ``i`` (a dynamic count), put the slice back. Slicing happens once per
        expert, not once per minibatch."""

        def one_expert(e, carry):
            state, acc = carry

            def body(j, inner):
                sub, acc = inner
                return step(sub, acc, minibatches.first[e] + j)

            sub, acc = jax.lax.fori_loop(0, minibatches.count[e], body, (self._take(state, e), acc))
            return self._put(state, e, sub), acc

        return jax.lax.fori_loop(0, self.partition_experts, one_expert, (state, acc))

    def _loss(
        self, params: Any, batch: Transition, advantages, targets, weight
    ) -> tuple[jax.Array, Any]:
        """PPO loss over a minibatch whose rows carry ``weight`` (summing to 1; 0 = padding)."""
        cfg = self.config
        if self.by_expert:
            logits, value = apply_expert(self.network, params, batch.obs)  # type: ignore[arg-type]  # self.network is an ExpertActorCritic here
        else:
            logits, value = self.network.apply(params, batch.obs, batch.expert)
        log_probs = jax.nn.log_softmax(logits)
        log_prob = jnp.take_along_axis(log_probs, batch.action[:, None], -1)[:, 0]
        entropy = (weight * -(jnp.exp(log_probs) * log_probs).sum(-1)).sum()
        value_clipped = batch.value + (value - batch.value).clip(-cfg.clip_eps, cfg.clip_eps)
        value_err = jnp.maximum(jnp.square(value - targets), jnp.square(value_clipped - targets))
        value_loss = 0.5 * (weight * value_err).sum()
        ratio = jnp.exp(log_prob - batch.log_prob)
        mean = (weight * advantages).sum()
        std = jnp.sqrt((weight * jnp.square(advantages - mean)).sum())
        adv = (advantages - mean) / (std + 1e-8)
        clipped = jnp.clip(ratio, 1.0 - cfg.clip_eps, 1.0 + cfg.clip_eps)
        actor_loss = -(weight * jnp.minimum(ratio * adv, clipped * adv)).sum()
        total = actor_loss + cfg.vf_coef * value_loss - cfg.ent_coef * entropy
        approx_kl = (weight * ((ratio - 1.0) - jnp.log(ratio))).sum()
        return total, {
            "actor_loss": actor_loss,
            "value_loss": value_loss,
            "entropy": entropy,
            "approx_kl": approx_kl,
        }

    def _values(self, params: Any, obs: jax.Array, expert: jax.Array) -> jax.Array:
        """Critic values of a whole rollout (T, N), computed after it in one pass: with
        expert minibatching each expert runs on its own rows only."""
        flat_obs = obs.reshape((-1, obs.shape[-1]))
        flat_expert = expert.reshape(-1)
        if not self.by_expert:
            values = cast(
                jax.Array, self.network.apply(params, flat_obs, flat_expert, method="value")
            )
            return values.reshape(expert.shape)
        minibatches = expert_minibatches(
            jax.random.PRNGKey(0), flat_expert, self.partition_experts, self.num_minibatches
        )

        def step(sub, values, i):
            index = minibatches.index[i]
            v = apply_expert(self.network, sub, flat_obs[index], method="value")
            return sub, values.at[index].add(jnp.where(minibatches.weight[i] > 0, v, 0.0))

        zeros = jnp.zeros(flat_expert.shape, jnp.float32)
        _, values = self._over_expert_minibatches(minibatches, step, params, zeros)
        return values.reshape(expert.shape)

    def _update(self, runner: RunnerState, traj: Transition, advantages, targets):
        """Epochs of minibatch steps; with expert minibatching each step trains one expert."""
        cfg = self.config
        # FLATTEN THE ROLLOUT: (num_steps, num_envs, ...) -> (batch, ...)
        flat = jax.tree.map(lambda x: x.reshape((cfg.batch_size, *x.shape[2:])), traj)
        flat_adv, flat_tgt = advantages.reshape(-1), targets.reshape(-1)
        grad_fn = jax.value_and_grad(self._loss, has_aux=True)
        lr = self.learning_rate(runner.update)

        # UPDATE ON ONE MINIBATCH: loss, gradient, Adam direction, annealed step
        def train_minibatch(carry, minibatches: ExpertMinibatches, i: jax.Array):
            """Minibatch step on minibatch ``i``; ``carry`` = (params, optimiser state) of one
            expert (or of the whole network without expert minibatching)."""
            sub, sub_opt = carry
            index, weight = minibatches.index[i], minibatches.weight[i]
            mb = jax.tree.map(lambda x: x[index], flat)
            (_, aux), grads = grad_fn(sub, mb, flat_adv[index], flat_tgt[index], weight)
            direction, sub_opt = self.optimizer.update(grads, sub_opt, sub)
            sub = jax.tree.map(lambda p, d: p - lr * d, sub, direction)
            return (sub, sub_opt), aux

        # UPDATE EPOCH: shuffle into (expert) minibatches, one step per minibatch
        def epoch(carry, _):
            params, opt_state, key = carry
            key, perm_key = jax.random.split(key)
            minibatches = expert_minibatches(
                perm_key, flat.expert, self.partition_experts, self.num_minibatches, self.exact
            )
            if self.partition_experts == 1:  # one network, every minibatch full
                (params, opt_state), aux = jax.lax.scan(
                    lambda carry, i: train_minibatch(carry, minibatches, i),
                    (params, opt_state),
                    jnp.arange(self.num_minibatches),
                )
                return (params, opt_state, key), jax.tree.map(jnp.mean, aux)

            # expert by expert, each on its own minibatches (empty ones never run)
            def step(sub, total, i):
                sub, aux = train_minibatch(sub, minibatches, i)
                return sub, jax.tree.map(jnp.add, total, aux)

            zero = {name: jnp.zeros((), jnp.float32) for name in LOSS_NAMES}
            (params, opt_state), total = self._over_expert_minibatches(
                minibatches, step, (params, opt_state), zero
            )
            used = minibatches.valid.sum()
            return (params, opt_state, key), jax.tree.map(lambda x: x / used, total)

        # EPOCHS
        key, update_key = jax.random.split(runner.key)
        (params, opt_state, _), aux = jax.lax.scan(
            epoch, (runner.params, runner.opt_state, update_key), None, length=cfg.update_epochs
        )
        runner = runner.replace(params=params, opt_state=opt_state, key=key)
        return runner, jax.tree.map(jnp.mean, aux)

    def update_step(self, runner: RunnerState, _: Any = None) -> tuple[RunnerState, Any]:
        """One PPO update: rollout, GAE with plan-step cuts, epochs of minibatch steps."""
        # COLLECT TRAJECTORIES (actor only), then the critic's values of every step
        runner, traj, metrics = self._rollout(runner)
        traj = traj.replace(value=self._values(runner.params, traj.obs, traj.expert))
        # CALCULATE ADVANTAGE (GAE, cut where an episode or a plan step ends)
        last_value = cast(
            jax.Array,
            self.network.apply(
                runner.params,
                runner.obs,
                self.experts_of(runner.vec_state),
                method="value",
            ),
        )
        advantages, targets = compute_gae(
            traj.reward, traj.value, traj.cut, last_value, self.config.gamma, self.config.gae_lambda
        )
        # UPDATE NETWORK
        runner, losses = self._update(runner, traj, advantages, targets)
        runner = runner.replace(update=runner.update + 1)
        return runner, {**metrics, **losses}

    def _train_chunk(self, runner: RunnerState) -> tuple[RunnerState, Any]:
        return jax.lax.scan(self.update_step, runner, None, length=self.config.updates_per_chunk)
