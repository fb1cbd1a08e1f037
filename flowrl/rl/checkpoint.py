"""Checkpoints: a directory written atomically (temp dir + rename).

Layout::

    checkpoint/
      params.msgpack    flax msgpack of the params (every leaf has a leading expert axis)
      opt_state.msgpack the optimiser (Adam) state of those params, same expert axis
      metadata.json     skills -> expert index, plan, network, frames per expert,
                        success rate, verdict, config and its hash, package versions
      plan_module.py    the plan the experts were trained on (evaluation needs nothing else)

Warm start copies experts by skill name from an earlier checkpoint; skills it does not
know keep their fresh initialisation. With per-expert optimiser states, each copied
expert's Adam moments and step count travel with it, so a learned expert continues with
small, bias-corrected steps instead of restarting Adam.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import uuid
from collections.abc import Mapping
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from flax import serialization

PARAMS_FILE = "params.msgpack"
METADATA_FILE = "metadata.json"
PLAN_FILE = "plan_module.py"
OPT_FILE = "opt_state.msgpack"
FORMAT_VERSION = 1


def package_versions() -> dict[str, str]:
    """Versions of the packages a checkpoint depends on."""
    versions = {"python": platform.python_version()}
    for name in ("flowrl", "jax", "jaxlib", "flax", "optax", "craftax"):
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            versions[name] = "unknown"
    return versions


def skill_experts(names: tuple[str, ...], experts: tuple[int, ...]) -> dict[str, int]:
    """Skill name -> expert index of a plan (a skill used twice must keep one expert)."""
    mapping: dict[str, int] = {}
    for name, expert in zip(names, experts, strict=True):
        if mapping.setdefault(name, int(expert)) != int(expert):
            raise ValueError(f"skill {name!r} is mapped to experts {mapping[name]} and {expert}")
    return mapping


def save_checkpoint(
    directory: str | Path,
    params: Any,
    metadata: Mapping[str, Any],
    plan_source: str = "",
    opt_state: Any = None,
) -> Path:
    """Write params, metadata (and the plan, the optimiser state) to ``directory``
    atomically; return it."""
    directory = Path(directory)
    directory.parent.mkdir(parents=True, exist_ok=True)
    tmp = directory.parent / f".{directory.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    try:
        state = serialization.to_state_dict(jax.device_get(params))
        (tmp / PARAMS_FILE).write_bytes(serialization.msgpack_serialize(state))
        meta = {"format_version": FORMAT_VERSION, **metadata}
        (tmp / METADATA_FILE).write_text(
            json.dumps(meta, indent=2, sort_keys=True, default=str, allow_nan=False)
        )
        if plan_source:
            (tmp / PLAN_FILE).write_text(plan_source)
        if opt_state is not None:
            opt = serialization.to_state_dict(jax.device_get(opt_state))
            (tmp / OPT_FILE).write_bytes(serialization.msgpack_serialize(opt))
        for path in tmp.iterdir():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        old = None
        if directory.exists():
            old = directory.parent / f".{directory.name}.old-{uuid.uuid4().hex[:8]}"
            os.replace(directory, old)
        os.replace(tmp, directory)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return directory


def load_checkpoint(directory: str | Path) -> tuple[Any, dict[str, Any]]:
    """(params as nested dicts of jnp arrays, metadata) of a checkpoint directory."""
    directory = Path(directory)
    params_path, meta_path = directory / PARAMS_FILE, directory / METADATA_FILE
    if not params_path.exists() or not meta_path.exists():
        raise FileNotFoundError(
            f"{directory} is not a checkpoint (needs {PARAMS_FILE} and {METADATA_FILE})"
        )
    state = serialization.msgpack_restore(params_path.read_bytes())
    params = jax.tree.map(jnp.asarray, state)
    return params, json.loads(meta_path.read_text())


def load_optimizer_state(directory: str | Path) -> Any | None:
    """The optimiser state of a checkpoint as nested dicts (None if it has none)."""
    path = Path(directory) / OPT_FILE
    if not path.exists():
        return None
    return serialization.msgpack_restore(path.read_bytes())


def _is_count(path: Any) -> bool:
    """Whether a flattened optimiser-state path is an Adam step ``count``."""
    return jax.tree_util.keystr(path).endswith("['count']")


def as_per_expert(state: Any) -> tuple[Any, bool]:
    """A one-expert optimiser state dict in the per-expert layout: the trainer keeps a single
    expert's Adam state unstacked (a scalar step ``count``; its moments already carry the
    expert axis of length 1), so its ``count`` becomes shape ``(1,)``. Returns (state, whether
    it was converted); any other state is returned as it is."""
    leaves = _flatten(state)
    one_expert = any(_is_count(p) for p, _ in leaves) and all(
        np.ndim(leaf) == 0 if _is_count(p) else np.ndim(leaf) >= 1 and np.shape(leaf)[0] == 1
        for p, leaf in leaves
    )
    if not one_expert:
        return state, False
    stacked = jax.tree_util.tree_map_with_path(
        lambda p, x: np.reshape(x, (1,)) if _is_count(p) else x, state
    )
    return stacked, True


def warm_start_optimizer(
    opt_state: Any,
    skills: Mapping[str, int],
    old_opt_state: Any,
    old_skills: Mapping[str, int],
) -> tuple[Any, list[str]]:
    """Copy each shared skill's optimiser state (Adam moments and step count) by name.

    Both states must be per expert (every leaf has a leading expert axis, as with expert
    minibatching); otherwise the fresh state is kept (a shared Adam step count cannot be
    right for both a copied and a fresh expert). ``old_opt_state`` is a state dict (from
    :func:`load_optimizer_state`). Returns (state, skills whose state was copied).
    """
    shared = sorted(name for name in skills if name in old_skills)
    if not shared or old_opt_state is None:
        return opt_state, []
    new_state, unstack = as_per_expert(serialization.to_state_dict(opt_state))
    old_opt_state = as_per_expert(old_opt_state)[0]
    new_leaves = {jax.tree_util.keystr(p): leaf for p, leaf in _flatten(new_state)}
    old_leaves = {jax.tree_util.keystr(p): leaf for p, leaf in _flatten(old_opt_state)}
    per_expert = set(new_leaves) == set(old_leaves) and all(
        np.ndim(leaf) >= 1
        and np.ndim(old_leaves[path]) >= 1
        and np.shape(leaf)[1:] == np.shape(old_leaves[path])[1:]
        for path, leaf in new_leaves.items()
    )
    counts = [p for p in new_leaves if p.endswith("['count']")]
    if not per_expert or not counts:  # not per-expert Adam states: keep the fresh one
        return opt_state, []
    new_idx = np.asarray([skills[name] for name in shared])
    old_idx = np.asarray([old_skills[name] for name in shared])

    def copy(path: Any, new: Any) -> Any:
        old = old_leaves[jax.tree_util.keystr(path)]
        return jnp.asarray(new).at[new_idx].set(jnp.asarray(old)[old_idx])

    merged = jax.tree_util.tree_map_with_path(copy, new_state)
    if unstack:  # back to the one-expert layout the trainer uses
        merged = jax.tree_util.tree_map_with_path(
            lambda p, x: jnp.reshape(x, ()) if _is_count(p) else x, merged
        )
    return serialization.from_state_dict(opt_state, merged), shared


def load_plan_source(directory: str | Path) -> str:
    return (Path(directory) / PLAN_FILE).read_text()


def warm_start(
    params: Any,
    skills: Mapping[str, int],
    old_params: Any,
    old_skills: Mapping[str, int],
) -> tuple[Any, list[str]]:
    """Copy each skill's expert from ``old_params`` into ``params``; return (params, copied).

    ``skills``/``old_skills`` map skill names to expert indices in ``params``/``old_params``.
    Skills only in ``skills`` keep their fresh experts.
    """
    shared = sorted(name for name in skills if name in old_skills)
    if not shared:
        return params, []
    new_idx = np.asarray([skills[name] for name in shared])
    old_idx = np.asarray([old_skills[name] for name in shared])
    old_state = serialization.to_state_dict(old_params)
    new_state = serialization.to_state_dict(params)
    new_paths = {jax.tree_util.keystr(p): leaf for p, leaf in _flatten(new_state)}
    old_paths = {jax.tree_util.keystr(p): leaf for p, leaf in _flatten(old_state)}
    if set(new_paths) != set(old_paths):
        raise ValueError("warm start: the checkpoint's network has different layers")
    for path, leaf in new_paths.items():
        if tuple(leaf.shape[1:]) != tuple(old_paths[path].shape[1:]):
            raise ValueError(
                f"warm start: {path} has shape {old_paths[path].shape[1:]} per expert in the "
                f"checkpoint but {leaf.shape[1:]} now (width, depth or env differ)"
            )

    def copy(new: jax.Array, old: jax.Array) -> jax.Array:
        return jnp.asarray(new).at[new_idx].set(jnp.asarray(old)[old_idx])

    merged = jax.tree.map(copy, new_state, old_state)
    return serialization.from_state_dict(params, merged), shared


def _flatten(tree: Any) -> list[tuple[Any, Any]]:
    return jax.tree_util.tree_flatten_with_path(tree)[0]
