"""The reference PPO: a plain PPO written the Craftax-Baselines way, measured in the same run
as flowrl's trainer so the benchmarks can divide by it. (Not the tree's plain-PPO baseline,
``flowrl baseline``, which is flowrl's own trainer on the game's reward.)

What makes it "the Craftax-Baselines way" (and not flowrl's trainer): raw craftax (no plan, no
features), optimistic resets (each step with a finished env generates
``num_envs // reset_ratio`` worlds that the finished envs share), separate actor and
critic MLPs of the same width, both run at every rollout step, GAE on episode ends, and
the *whole run* (every update) inside one jitted ``train(key)``. It reuses flowrl's env
wrappers (:class:`GameEnv`, :class:`VecEnv` in optimistic mode), not its PPO.

Timing is over a whole run with ``jax.block_until_ready``; the first worlds are made once,
outside the timed runs (as flowrl's trainer makes its pool once). Compile = time to the
first run's result (first worlds, lowering, XLA compile, one run) minus one steady run.

    python benchmarks/reference_ppo.py --num_envs 256 --width 256 --updates 4
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np
import optax
from bench_common import best_of, blocked

from flowrl.envs.game_env import GameEnv
from flowrl.envs.games import get_game
from flowrl.envs.resets import ResetConfig, VecEnv


@dataclass(frozen=True)
class ReferenceConfig:
    env_name: str = "Craftax-Classic-Symbolic-v1"
    num_envs: int = 256
    num_steps: int = 64
    num_updates: int = 4
    width: int = 256
    depth: int = 3
    update_epochs: int = 4
    num_minibatches: int = 8
    lr: float = 2e-4
    gamma: float = 0.99
    gae_lambda: float = 0.8
    clip_eps: float = 0.2
    ent_coef: float = 0.01
    vf_coef: float = 0.5
    max_grad_norm: float = 1.0
    reset_ratio: int = 16

    @property
    def frames(self) -> int:
        return self.num_envs * self.num_steps * self.num_updates

    @classmethod
    def matching(cls, config: Any, env_name: str) -> ReferenceConfig:
        """The reference PPO at a trainer ``TrainConfig``'s sizes: a whole run of as many updates
        as one of its timed chunks (``updates_per_chunk``)."""
        return cls(
            env_name=env_name,
            num_envs=config.num_envs,
            num_steps=config.num_steps,
            num_updates=config.updates_per_chunk,
            width=config.width,
            depth=config.depth,
            update_epochs=config.update_epochs,
            num_minibatches=config.num_minibatches,
        )


class Mlp(nn.Module):
    width: int
    depth: int
    out: int
    out_scale: float

    @nn.compact
    def __call__(self, x):
        for _ in range(self.depth):
            x = nn.tanh(nn.Dense(self.width, kernel_init=nn.initializers.orthogonal(np.sqrt(2)))(x))
        return nn.Dense(self.out, kernel_init=nn.initializers.orthogonal(self.out_scale))(x)


class Net(nn.Module):
    """Separate actor and critic MLPs of the same width (as in Craftax-Baselines)."""

    num_actions: int
    width: int
    depth: int

    @nn.compact
    def __call__(self, obs):
        logits = Mlp(self.width, self.depth, self.num_actions, 0.01)(obs)
        value = Mlp(self.width, self.depth, 1, 1.0)(obs)[:, 0]
        return logits, value


def make_train(cfg: ReferenceConfig):
    """``(reset, train)``, unjitted: ``reset(key) -> (obs, env_state)`` makes the first
    worlds; ``train(key, obs, env_state) -> (params, mean losses per update)`` is the whole
    run from them (a long run amortises the first worlds; a timed short one must not pay
    for them, as world generation costs hundreds of steps)."""
    game = GameEnv(get_game(cfg.env_name))  # the config names the game
    vec = VecEnv(game, cfg.num_envs, ResetConfig(mode="optimistic", reset_ratio=cfg.reset_ratio))
    net = Net(game.num_actions, cfg.width, cfg.depth)
    batch = cfg.num_envs * cfg.num_steps
    mb_size = batch // cfg.num_minibatches
    total_steps = cfg.num_updates * cfg.update_epochs * cfg.num_minibatches

    def schedule(count):
        return cfg.lr * (1.0 - count / total_steps)

    tx = optax.chain(optax.clip_by_global_norm(cfg.max_grad_norm), optax.adam(schedule, eps=1e-5))

    def loss_fn(params, obs, action, old_logp, old_value, adv, target):
        logits, value = net.apply(params, obs)
        logp_all = jax.nn.log_softmax(logits)
        logp = jnp.take_along_axis(logp_all, action[:, None], -1)[:, 0]
        v_clip = old_value + (value - old_value).clip(-cfg.clip_eps, cfg.clip_eps)
        v_loss = 0.5 * jnp.maximum((value - target) ** 2, (v_clip - target) ** 2).mean()
        ratio = jnp.exp(logp - old_logp)
        adv = (adv - adv.mean()) / (adv.std() + 1e-8)
        pg = -jnp.minimum(ratio * adv, ratio.clip(1 - cfg.clip_eps, 1 + cfg.clip_eps) * adv)
        entropy = -(jnp.exp(logp_all) * logp_all).sum(-1).mean()
        return pg.mean() + cfg.vf_coef * v_loss - cfg.ent_coef * entropy

    def train(key, obs, env_state):
        key, net_key = jax.random.split(key)
        params = net.init(net_key, jnp.zeros((1, obs.shape[-1])))
        opt_state = tx.init(params)

        def update(carry, _):
            params, opt_state, env_state, obs, key = carry

            def env_step(carry, _):
                env_state, obs, key = carry
                key, act_key, step_key = jax.random.split(key, 3)
                logits, value = net.apply(params, obs)
                action = jax.random.categorical(act_key, logits)
                logp = jnp.take_along_axis(jax.nn.log_softmax(logits), action[:, None], -1)[:, 0]
                next_obs, env_state, reward, done, _ = vec.step(step_key, env_state, action)
                return (env_state, next_obs, key), (obs, action, logp, value, reward, done)

            (env_state, obs, key), traj = jax.lax.scan(
                env_step, (env_state, obs, key), None, cfg.num_steps
            )
            t_obs, t_action, t_logp, t_value, t_reward, t_done = traj
            _, last_value = net.apply(params, obs)

            def gae_step(carry, x):
                gae, next_value = carry
                reward, value, done = x
                delta = reward + cfg.gamma * next_value * (1 - done) - value
                gae = delta + cfg.gamma * cfg.gae_lambda * (1 - done) * gae
                return (gae, value), gae

            _, adv = jax.lax.scan(
                gae_step,
                (jnp.zeros_like(last_value), last_value),
                (t_reward, t_value, t_done.astype(jnp.float32)),
                reverse=True,
            )
            flat = jax.tree.map(
                lambda x: x.reshape((batch, *x.shape[2:])),
                (t_obs, t_action, t_logp, t_value, adv, adv + t_value),
            )

            def epoch(carry, _):
                params, opt_state, key = carry
                key, perm_key = jax.random.split(key)
                perm = jax.random.permutation(perm_key, batch)
                mbs = jax.tree.map(
                    lambda x: x[perm].reshape((cfg.num_minibatches, mb_size, *x.shape[1:])), flat
                )

                def minibatch(carry, mb):
                    params, opt_state = carry
                    loss, grads = jax.value_and_grad(loss_fn)(params, *mb)
                    updates, opt_state = tx.update(grads, opt_state, params)
                    return (optax.apply_updates(params, updates), opt_state), loss

                (params, opt_state), losses = jax.lax.scan(minibatch, (params, opt_state), mbs)
                return (params, opt_state, key), losses.mean()

            key, update_key = jax.random.split(key)
            (params, opt_state, _), losses = jax.lax.scan(
                epoch, (params, opt_state, update_key), None, cfg.update_epochs
            )
            return (params, opt_state, env_state, obs, key), losses.mean()

        (params, *_), losses = jax.lax.scan(
            update, (params, opt_state, env_state, obs, key), None, cfg.num_updates
        )
        return params, losses

    return vec.reset, train


def start_reference(cfg: ReferenceConfig) -> tuple[float, Callable[[int], float]]:
    """Compile: the first worlds (reset compiled and run) + lowering and compiling ``train``
    + one run of it, minus nothing (see :func:`run_reference`); and ``again(seed)``, the
    seconds of one more whole run from the same first worlds."""
    reset, train = make_train(cfg)
    key = jax.random.PRNGKey(0)
    t0 = time.perf_counter()
    obs, env_state = jax.block_until_ready(jax.jit(reset)(key))
    compiled = jax.jit(train).lower(key, obs, env_state).compile()
    jax.block_until_ready(compiled(key, obs, env_state))
    first_s = time.perf_counter() - t0

    def again(seed: int) -> float:
        return blocked(compiled, jax.random.PRNGKey(seed), obs, env_state)[1]

    return first_s, again


def run_reference(cfg: ReferenceConfig, repeats: int = 1) -> dict:
    """Steady steps/s (best whole run) and compile (time to the first run's result minus
    one steady run)."""
    first_s, again = start_reference(cfg)
    (best,) = best_of([again], repeats)
    return {"compile_s": first_s - best, "run_s": best, "sps": cfg.frames / best}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--env_name", default=ReferenceConfig.env_name)
    parser.add_argument("--num_envs", type=int, default=256)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--updates", type=int, default=4, help="updates in the timed run")
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()
    cfg = ReferenceConfig(
        env_name=args.env_name, num_envs=args.num_envs, width=args.width, num_updates=args.updates
    )
    r = run_reference(cfg, args.repeats)
    print(
        f"reference PPO ({cfg.env_name}, {cfg.num_envs} envs, width {cfg.width}, "
        f"{cfg.num_updates} updates): {r['sps']:.0f} steps/s, compile {r['compile_s']:.1f} s"
    )


if __name__ == "__main__":
    main()
