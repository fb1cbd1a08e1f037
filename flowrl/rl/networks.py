"""Actor-critic networks: one expert (actor MLP + critic MLP) per skill, routed per sample.

Every parameter of :class:`ExpertActorCritic` carries a leading expert axis, so a warm
start copies ``leaf[old_index]`` into ``leaf[new_index]`` for each skill. Routing modes:

* ``select``: run every expert on the whole batch (plain matmuls), then pick each sample's
  row. Costs ``num_experts`` x a single MLP, but is dense and fast for a few experts. With
  one expert every mode is a plain MLP. PPO updates avoid the cost altogether by giving
  each expert its own minibatches (:mod:`flowrl.rl.minibatches`, :func:`expert_params`).
* ``ragged``: sort the batch by expert and run grouped matmuls (``jax.lax.ragged_dot``);
  cost is that of one MLP plus a sort. Pays off with many experts.
* ``gather``: gather each sample's weights (tiny batches only, e.g. single-env rollouts).
* ``auto``: ``select`` up to :data:`SELECT_MAX_EXPERTS` experts, else ``ragged``
  (see ``benchmarks/trainer_throughput.py --routing`` for the measurements behind it).

:class:`ActorCritic` is the plain single-network baseline of the Craftax baselines.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import flax.linen as nn
import jax
import jax.numpy as jnp
import numpy as np

SELECT_MAX_EXPERTS = 8

_ACTIVATIONS: dict[str, Callable[[jax.Array], jax.Array]] = {
    "tanh": nn.tanh,
    "relu": nn.relu,
    "gelu": nn.gelu,
}


def activation_fn(name: str) -> Callable[[jax.Array], jax.Array]:
    if name not in _ACTIVATIONS:
        raise ValueError(f"activation {name!r} unknown; choose one of {sorted(_ACTIVATIONS)}")
    return _ACTIVATIONS[name]


def resolve_routing(routing: str, num_experts: int) -> str:
    """The concrete routing mode ``auto`` stands for with ``num_experts`` experts."""
    if routing != "auto":
        return routing
    return "select" if num_experts <= SELECT_MAX_EXPERTS else "ragged"


@functools.partial(jax.jit, static_argnums=(1, 2, 3))
def _orthogonal_stack(key: jax.Array, shape: tuple[int, ...], scale: float, dtype) -> jax.Array:
    keys = jax.random.split(key, shape[0])
    base = nn.initializers.orthogonal(scale)
    return jax.vmap(lambda k: base(k, shape[1:], dtype))(keys)


def _stacked_orthogonal(scale: float) -> Callable[..., jax.Array]:
    """Orthogonal init drawn independently for each expert slice of an (E, in, out) kernel.

    Each kernel is one small jitted program: an eager init dispatches (and compiles) every
    primitive of the QR on its own, which costs seconds per training run.
    """

    def init(key: jax.Array, shape: tuple[int, ...], dtype=jnp.float32) -> jax.Array:
        return _orthogonal_stack(key, tuple(shape), float(scale), jnp.dtype(dtype))

    return init


class _ExpertMLP(nn.Module):
    """``depth`` hidden layers of ``width`` then a linear head, one copy per expert."""

    num_experts: int
    width: int
    depth: int
    out_dim: int
    out_scale: float
    activation: str
    routing: str

    def _layers(self, in_dim: int) -> list[tuple[jax.Array, jax.Array]]:
        dims = [in_dim] + [self.width] * self.depth + [self.out_dim]
        layers = []
        for i in range(self.depth + 1):
            scale = self.out_scale if i == self.depth else float(np.sqrt(2))
            shape = (self.num_experts, dims[i], dims[i + 1])
            kernel = self.param(f"kernel_{i}", _stacked_orthogonal(scale), shape)
            bias = self.param(f"bias_{i}", nn.initializers.zeros, shape[::2])
            layers.append((kernel, bias))
        return layers

    @nn.compact
    def __call__(self, x: jax.Array, expert: jax.Array) -> jax.Array:
        act = activation_fn(self.activation)
        layers = self._layers(x.shape[-1])
        last = len(layers) - 1
        if self.num_experts == 1 or self.routing == "select":
            out = None
            for e in range(self.num_experts):
                h = x
                for i, (kernel, bias) in enumerate(layers):
                    h = h @ kernel[e] + bias[e]
                    h = h if i == last else act(h)
                out = h if out is None else jnp.where((expert == e)[:, None], h, out)
            return out  # type: ignore[return-value]  # num_experts >= 1, so out is set
        if self.routing == "gather":
            h = x
            for i, (kernel, bias) in enumerate(layers):
                h = jnp.einsum("bi,bio->bo", h, kernel[expert]) + bias[expert]
                h = h if i == last else act(h)
            return h
        if self.routing == "ragged":
            order = jnp.argsort(expert, stable=True)
            sizes = jnp.bincount(expert, length=self.num_experts).astype(jnp.int32)
            sorted_expert = expert[order]
            h = x[order]
            for i, (kernel, bias) in enumerate(layers):
                h = jax.lax.ragged_dot(h, kernel, sizes) + bias[sorted_expert]
                h = h if i == last else act(h)
            return jnp.zeros_like(h).at[order].set(h)
        raise ValueError(f"routing {self.routing!r} unknown")


def expert_params(params: Any, expert: jax.Array) -> Any:
    """Expert ``expert``'s slice of stacked params (every leaf loses its expert axis)."""
    return jax.tree.map(lambda leaf: jax.lax.dynamic_index_in_dim(leaf, expert, 0, False), params)


def set_expert_params(params: Any, expert: jax.Array, sub: Any) -> Any:
    """``params`` with expert ``expert``'s slice replaced by ``sub`` (in place under jit)."""
    return jax.tree.map(
        lambda leaf, new: jax.lax.dynamic_update_index_in_dim(leaf, new, expert, 0), params, sub
    )


def apply_expert(
    network: ExpertActorCritic, params: Any, obs: jax.Array, method: str | None = None
) -> Any:
    """Run one expert, given its unstacked ``params`` slice, on every row of ``obs``
    (``method``: None for (logits, value), or ``"policy"`` / ``"value"``)."""
    one = network.clone(num_experts=1)
    stacked = jax.tree.map(lambda leaf: leaf[None], params)
    return one.apply(stacked, obs, jnp.zeros(obs.shape[:1], jnp.int32), method=method)


class ExpertActorCritic(nn.Module):
    """Actor-critic with one expert per skill; ``expert`` (int, per sample) routes each row.

    ``__call__(obs (B, D), expert (B,)) -> (logits (B, A), value (B,))``; ``policy`` and
    ``value`` run only the actor or only the critic (a rollout needs values only later).
    """

    num_experts: int
    num_actions: int
    width: int = 256
    depth: int = 3
    activation: str = "tanh"
    routing: str = "auto"

    def setup(self) -> None:
        common = dict(
            num_experts=self.num_experts,
            width=self.width,
            depth=self.depth,
            activation=self.activation,
            routing=resolve_routing(self.routing, self.num_experts),
        )
        self.actor = _ExpertMLP(out_dim=self.num_actions, out_scale=0.01, **common)  # type: ignore[arg-type]  # **common holds the shared keyword fields of one dataclass
        self.critic = _ExpertMLP(out_dim=1, out_scale=1.0, **common)  # type: ignore[arg-type]  # **common holds the shared keyword fields of one dataclass

    def _route(self, expert: jax.Array) -> jax.Array:
        return jnp.clip(expert.astype(jnp.int32), 0, self.num_experts - 1)

    def __call__(self, obs: jax.Array, expert: jax.Array) -> tuple[jax.Array, jax.Array]:
        return self.policy(obs, expert), self.value(obs, expert)

    def policy(self, obs: jax.Array, expert: jax.Array) -> jax.Array:
        return self.actor(obs, self._route(expert))

    def value(self, obs: jax.Array, expert: jax.Array) -> jax.Array:
        return self.critic(obs, self._route(expert))[:, 0]


class _MLP(nn.Module):
    """``depth`` Dense layers of ``width`` then a Dense head (Craftax-baselines init)."""

    width: int
    depth: int
    out_dim: int
    out_scale: float
    activation: str

    @nn.compact
    def __call__(self, x: jax.Array) -> jax.Array:
        act = activation_fn(self.activation)
        for _ in range(self.depth):
            x = act(nn.Dense(self.width, kernel_init=nn.initializers.orthogonal(np.sqrt(2)))(x))
        return nn.Dense(self.out_dim, kernel_init=nn.initializers.orthogonal(self.out_scale))(x)


class ActorCritic(nn.Module):
    """Plain single-network actor-critic (Craftax baselines); ``expert`` is ignored."""

    num_actions: int
    width: int = 256
    depth: int = 3
    activation: str = "tanh"

    def setup(self) -> None:
        common = dict(width=self.width, depth=self.depth, activation=self.activation)
        self.actor = _MLP(out_dim=self.num_actions, out_scale=0.01, **common)  # type: ignore[arg-type]  # **common holds the shared keyword fields of one dataclass
        self.critic = _MLP(out_dim=1, out_scale=1.0, **common)  # type: ignore[arg-type]  # **common holds the shared keyword fields of one dataclass

    def __call__(
        self, obs: jax.Array, expert: jax.Array | None = None
    ) -> tuple[jax.Array, jax.Array]:
        return self.policy(obs, expert), self.value(obs, expert)

    def policy(self, obs: jax.Array, expert: jax.Array | None = None) -> jax.Array:
        return self.actor(obs)

    def value(self, obs: jax.Array, expert: jax.Array | None = None) -> jax.Array:
        return self.critic(obs)[:, 0]
