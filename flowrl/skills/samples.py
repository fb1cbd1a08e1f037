"""Real game states for validating skill code, collected once per env and cached on disk.

Random-action rollouts of the released game give pairs of consecutive feature sets
(``prev``, ``cur``); a second half with randomised inventories and intrinsics covers
states random play rarely reaches. Reset states give the "already done at reset" check.

Samples are stored as ``.npz`` (no pickle: safe to load). flowrl ships samples for its
games under ``flowrl/resources/samples/`` so validation needs no game compile at all;
they are used only when collected with the installed craftax version, otherwise fresh
samples are collected into the user cache. Regenerate the shipped files with
``python -m flowrl.skills.samples``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
from dataclasses import dataclass, replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from flowrl.atomic_io import write_bytes_atomic
from flowrl.envs.features import SymbolicFeatures, compute_features
from flowrl.envs.game_env import GameEnv

SAMPLE_FORMAT = 3  # 3: closest_blocks gained the mob rows
SHIPPED = Path(__file__).resolve().parents[1] / "resources" / "samples"
PARTS = ("prev", "cur", "reset")


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
    tag = f"{env_name}-craftax{version('craftax')}-s{seed}-v{SAMPLE_FORMAT}"
    return cache_dir() / f"{tag}.npz"


def shipped_path(env_name: str, seed: int) -> Path:
    return SHIPPED / f"{env_name}-s{seed}.npz"


def _meta(env_name: str, seed: int) -> dict[str, Any]:
    return {
        "env_name": env_name,
        "seed": seed,
        "craftax": version("craftax"),
        "format": SAMPLE_FORMAT,
    }


def _template(env_name: str) -> Any:
    """Pytree structure of one feature set of ``env_name`` (traced, never compiled)."""
    env = GameEnv(env_name)
    return jax.eval_shape(
        lambda k: compute_features(env.game, env.reset(k)[1]), jax.random.PRNGKey(0)
    )


def save_samples(samples: FeatureSamples, path: Path, meta: dict[str, Any]) -> None:
    """Write ``samples`` as a compressed .npz, atomically."""
    arrays: dict[str, Any] = {"meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}
    for part in PARTS:
        for i, leaf in enumerate(jax.tree.leaves(getattr(samples, part))):
            arrays[f"{part}/{i}"] = np.asarray(leaf)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_bytes_atomic(path, buffer.getvalue())


def load_samples(path: Path, env_name: str, expect: dict[str, Any] | None = None) -> FeatureSamples:
    """Read samples written by :func:`save_samples`; ValueError if they do not fit."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(bytes(data["meta"]).decode())
        if expect is not None and any(meta.get(k) != v for k, v in expect.items()):
            raise ValueError(f"{path} was collected for {meta}, not {expect}")
        template = _template(env_name)
        treedef = jax.tree.structure(template)
        shapes = [leaf.shape for leaf in jax.tree.leaves(template)]
        parts = {}
        for part in PARTS:
            leaves = [data[f"{part}/{i}"] for i in range(len(shapes))]
            for i, (leaf, shape) in enumerate(zip(leaves, shapes, strict=True)):
                # JAX clamps out-of-range indices, so a stale shape would be read silently
                if leaf.shape[1:] != shape:
                    raise ValueError(
                        f"{path}: leaf {part}/{i} holds features of shape {leaf.shape[1:]}, "
                        f"this flowrl computes {shape}; regenerate with "
                        "python -m flowrl.skills.samples"
                    )
            parts[part] = jax.tree.unflatten(treedef, leaves)
    return FeatureSamples(**parts)


def _randomise(features: SymbolicFeatures, key: jax.Array, cap: int) -> SymbolicFeatures:
    leaves, treedef = jax.tree.flatten(features.inventory)
    keys = jax.random.split(key, len(leaves) + 1)
    leaves = [
        jax.random.randint(k, x.shape, 0, cap + 1).astype(x.dtype)
        for k, x in zip(keys, leaves, strict=False)
    ]
    intrinsics = jax.random.randint(keys[-1], features.player_intrinsics.shape, 0, 10)
    return replace(
        features,
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
    """Samples for ``env_name``: user cache, else shipped file, else collected (and cached)."""
    expect = _meta(env_name, seed)
    for path in (sample_path(env_name, seed), shipped_path(env_name, seed)):
        if path.exists():
            try:
                return load_samples(path, env_name, expect)
            except (ValueError, KeyError, OSError):  # other version or corrupt: skip it
                continue
    samples = collect_samples(env_name, seed)
    save_samples(samples, sample_path(env_name, seed), expect)
    return samples


def main() -> None:
    """Regenerate the shipped sample files (run after upgrading craftax)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--env", nargs="*", default=None, help="games (default: all registered)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    from flowrl.envs.games import GAMES, get_game

    names = args.env or sorted(GAMES)
    for name in names:
        get_game(name)
        path = shipped_path(name, args.seed)
        save_samples(collect_samples(name, args.seed), path, _meta(name, args.seed))
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
