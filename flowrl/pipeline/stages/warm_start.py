"""One warm-start checkpoint for a plan whose learned skills were trained in different slots.

The library records, per skill, the checkpoint that trained it last (relative to the tree).
When a plan's skills come from several checkpoints (parallel rounds, a skill left out of
the last plans, or a retried skill resuming its rejected attempt), their experts, and their
per-expert Adam states when every source saved one, are stacked into one checkpoint the
trainer can start from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def merge_checkpoints(sources: dict[str, Path], out: Path) -> Path:
    """Checkpoint at ``out`` holding expert ``k`` = skill ``k`` of ``sources`` (name -> ckpt)."""
    # deliberately lazy: JAX-heavy, and only a plan over several checkpoints needs it
    import jax
    import jax.numpy as jnp
    from flax import serialization

    from flowrl.rl.checkpoint import (
        as_per_expert,
        load_checkpoint,
        load_optimizer_state,
        save_checkpoint,
    )

    dirs = list(dict.fromkeys(sources.values()))
    loaded = [load_checkpoint(d) for d in dirs]
    states = [serialization.to_state_dict(params) for params, _ in loaded]
    names = list(sources)
    where = [
        (dirs.index(sources[n]), int(loaded[dirs.index(sources[n])][1]["skills"][n])) for n in names
    ]

    def stack(*leaves: Any) -> Any:
        return jnp.stack([jnp.asarray(leaves[src])[expert] for src, expert in where])

    merged = jax.tree.map(stack, *states)
    opt_states = [load_optimizer_state(d) for d in dirs]
    opt_states = [as_per_expert(o)[0] if o is not None else None for o in opt_states]
    try:  # per-expert Adam states (every leaf has the expert axis first) stack the same way
        merged_opt = jax.tree.map(stack, *opt_states) if all(opt_states) else None
    except (ValueError, TypeError, IndexError):  # other structures: the trainer starts fresh
        merged_opt = None
    meta = dict(loaded[0][1])
    meta["skills"] = {n: k for k, n in enumerate(names)}
    meta["frames_per_skill"] = {
        n: int(loaded[src][1].get("frames_per_skill", {}).get(n, 0))
        for n, (src, _) in zip(names, where, strict=True)
    }
    meta["network"] = {**meta.get("network", {}), "num_experts": len(names)}
    meta["merged_from"] = {n: str(sources[n]) for n in names}
    return save_checkpoint(out, merged, meta, opt_state=merged_opt)


def init_checkpoint(warm: dict[str, str], tree: Path, scratch: Path) -> Path | None:
    """The checkpoint to warm-start from (None: nothing learned is in the plan)."""
    if not warm:
        return None
    sources = {name: tree / rel for name, rel in warm.items()}
    distinct = set(sources.values())
    if len(distinct) == 1:
        return distinct.pop()
    return merge_checkpoints(sources, scratch)
