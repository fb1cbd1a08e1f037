"""Real game states for validating skill code, collected once per env and cached on disk.

Random-action rollouts of the released game give pairs of consecutive feature sets
(``prev``, ``cur``); a second half with randomised inventories and intrinsics covers
states random play rarely reaches. Reset states give the "already done at reset" check.
"""

from __future__ import annotations

import os
import pickle
import tempfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from flowrl.envs.features import SymbolicFeatures, compute_features
from flowrl.envs.game_env import GameEnv

SAMPLE_FORMAT = 1


@dataclass
class FeatureSamples:
    """Batched features: ``prev``/``cur`` transitions and ``reset`` states (numpy leaves)."""

    prev: SymbolicFeatures
    cur: SymbolicFeatures
    reset: SymbolicFeatures

    @property
    def num_transitions(self) -> int:
        return int(self.cur.achievements.shape[0])


def cache_dir() -> Path:
    """Where sample files live: $FLOWRL_CACHE_DIR, else ~/.cache/flowrl."""
    root = os.environ.get("FLOWRL_CACHE_DIR") or Path.home() / ".cache" / "flowrl"
    return Path(root) / "samples"


def sample_path(env_name: str, seed: int) -> Path:
    tag = f"{env_name}-craftax{version('craftax')}-jax{jax.__version__}-s{seed}-v{SAMPLE_FORMAT}"
    return cache_dir() / f"{tag}.pkl"


def _randomise(features: SymbolicFeatures, key: jax.Array, cap: int) -> SymbolicFeatures:
    leaves, treedef = jax.tree.flatten(features.inventory)
    keys = jax.random.split(key, len(leaves) + 1)
    leaves = [
        jax.random.randint(k, x.shape, 0, cap + 1).astype(x.dtype)
        for k, x in zip(keys, leaves, strict=False)
    ]
    intrinsics = jax.random.randint(keys[-1], features.player_intrinsics.shape, 0, 10)
    return features.replace(
        inventory=jax.tree.unflatten(treedef, leaves),
        player_intrinsics=intrinsics.astype(jnp.float32),
    )


def collect_samples(
    env_name: str, seed: int = 0, num_envs: int = 16, steps: int = 32
) -> FeatureSamples:
    """Roll out random actions in ``env_name`` and return feature samples (numpy)."""
    env = GameEnv(env_name)
    game = env.game
    key = jax.random.PRNGKey(seed)
    reset_key, roll_key, rand_key = jax.random.split(key, 3)

    @jax.jit
    def rollout(reset_key: jax.Array, roll_key: jax.Array) -> tuple[Any, Any, Any]:
        _, states = jax.vmap(env.reset)(jax.random.split(reset_key, num_envs))
        feats = jax.vmap(lambda s: compute_features(game, s))

        def body(carry, key):
            states, prev = carry
            act_key, step_key = jax.random.split(key)
            actions = jax.random.randint(act_key, (num_envs,), 0, env.num_actions)
            _, states, _, _, _ = jax.vmap(env.step)(
                jax.random.split(step_key, num_envs), states, actions
            )
            cur = feats(states)
            return (states, cur), (prev, cur)

        start = feats(states)
        _, (prev, cur) = jax.lax.scan(body, (states, start), jax.random.split(roll_key, steps))
        return start, prev, cur

    reset, prev, cur = rollout(reset_key, roll_key)
    flat = lambda t: jax.tree.map(lambda x: x.reshape((-1, *x.shape[2:])), t)  # noqa: E731
    prev, cur = flat(prev), flat(cur)
    # Randomised copies: inventory/intrinsics anywhere in range, prev one step earlier.
    k1, k2 = jax.random.split(rand_key)
    n = cur.achievements.shape[0]
    rand_cur = jax.vmap(lambda f, k: _randomise(f, k, game.inventory_cap))(
        cur, jax.random.split(k1, n)
    )
    rand_prev = jax.vmap(lambda f, k: _randomise(f, k, game.inventory_cap))(
        prev, jax.random.split(k2, n)
    )

    def cat(a, b):
        return jax.tree.map(lambda x, y: np.concatenate([np.asarray(x), np.asarray(y)]), a, b)

    return FeatureSamples(
        prev=cat(prev, rand_prev),
        cur=cat(cur, rand_cur),
        reset=jax.tree.map(np.asarray, reset),
    )


def load_or_collect(env_name: str, seed: int = 0) -> FeatureSamples:
    """Cached samples for ``env_name`` (collected and written atomically on first use)."""
    path = sample_path(env_name, seed)
    if path.exists():
        try:
            with path.open("rb") as f:
                return pickle.load(f)
        except Exception:  # corrupt or from another version: rebuild
            path.unlink(missing_ok=True)
    samples = collect_samples(env_name, seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "wb") as f:
        pickle.dump(samples, f)
    os.replace(tmp, path)
    return samples
