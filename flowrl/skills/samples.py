"""Real game states for validating skill code, collected once per env and cached on disk.

Validation must see the states training sees, so the transitions (``prev``, ``cur``) come
from several sources, each transition labelled with where it came from (a refusal names
the state that produced it):

* random play over long episodes (the first steps and then every few steps up to 256);
* random play from a scripted start: a stocked inventory (tables and furnaces get placed,
  tools made), low food, drink and energy, at dusk;
* one step from every reset world with every action ("the first steps after a reset");
* copies with randomised inventories and intrinsics (0 included);
* feature edits of real states: each block and mob kind on the player's cell, next to it
  and two cells away, nothing in view (night), every achievement just unlocked.

Reset states give the "already done at reset" check; ``first_prev``/``first_cur`` (one step
from each reset with each action) the "trivially done" check.

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
from dataclasses import dataclass, field, replace
from importlib.metadata import version
from pathlib import Path
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from flowrl.atomic_io import write_bytes_atomic
from flowrl.envs.features import SymbolicFeatures, compute_features
from flowrl.envs.game_env import GameEnv
from flowrl.envs.games import UNSEEN_DISTANCE, GameSpec

SAMPLE_FORMAT = 4  # 3: closest_blocks gained the mob rows; 4: labels, first steps, scripted
SHIPPED = Path(__file__).resolve().parents[1] / "resources" / "samples"
PARTS = ("prev", "cur", "reset", "first_prev", "first_cur")
REAL_PLAY = ("random play", "random play from a stocked start", "randomised inventory")
"""Label prefixes of the transitions the reward-cycle probe walks (not the feature edits)."""


@dataclass
class FeatureSamples:
    """Batched features (numpy leaves): ``prev``/``cur`` transitions with a label each,
    ``reset`` states, and ``first_prev``/``first_cur``: one step from a reset per action
    (``first_actions`` names each one's action)."""

    prev: SymbolicFeatures
    cur: SymbolicFeatures
    reset: SymbolicFeatures
    first_prev: SymbolicFeatures
    first_cur: SymbolicFeatures
    labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    label_names: tuple[str, ...] = ()
    first_actions: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int32))
    step_over_reference: float = 0.0  # flowrl.skills.cost: env step / reference skill (0: unknown)

    @property
    def num_transitions(self) -> int:
        return int(self.cur.achievements.shape[0])

    def label(self, i: int) -> str:
        """Where transition ``i`` came from, e.g. "random play, step 37"."""
        if i < len(self.labels) and int(self.labels[i]) < len(self.label_names):
            return self.label_names[int(self.labels[i])]
        return f"sample {i}"

    def probe_batch(self) -> ProbeBatch:
        """Transitions, first steps and reset states (as a no-op pair) in one batch."""
        pieces = [
            (self.prev, self.cur),
            (self.first_prev, self.first_cur),
            (self.reset, self.reset),
        ]
        return ProbeBatch(
            prev=_concat([p for p, _ in pieces]),
            cur=_concat([c for _, c in pieces]),
            sizes=tuple(int(c.achievements.shape[0]) for _, c in pieces),
        )

    def real_play(self) -> np.ndarray:
        """Mask of the transitions from play (not feature edits)."""
        names = np.array([n.startswith(REAL_PLAY) for n in self.label_names] + [False])
        return names[np.minimum(self.labels, len(self.label_names))]


@dataclass(frozen=True)
class ProbeBatch:
    """Every sample pair in one batch (one compile per function): ``split`` undoes it."""

    prev: Any
    cur: Any
    sizes: tuple[int, ...]
    parts: tuple[str, ...] = ("transitions", "first", "reset")

    @property
    def size(self) -> int:
        return sum(self.sizes)

    def split(self, out: Any) -> dict[str, Any]:
        """One output over the batch, by part."""
        bounds = np.cumsum([0, *self.sizes])
        return {p: out[a:b] for p, a, b in zip(self.parts, bounds, bounds[1:], strict=False)}


def cache_dir() -> Path:
    """Where sample files live: $FLOWRL_CACHE_DIR, else ~/.cache/flowrl."""
    root = os.environ.get("FLOWRL_CACHE_DIR") or Path.home() / ".cache" / "flowrl"
    return Path(root) / "samples"


def sample_path(game: GameSpec, seed: int) -> Path:
    tag = f"{game.env_name}-craftax{version('craftax')}-s{seed}-v{SAMPLE_FORMAT}"
    return cache_dir() / f"{tag}.npz"


def shipped_path(game: GameSpec, seed: int) -> Path:
    return SHIPPED / f"{game.env_name}-s{seed}.npz"


def _meta(game: GameSpec, seed: int) -> dict[str, Any]:
    return {
        "env_name": game.env_name,
        "seed": seed,
        "craftax": version("craftax"),
        "format": SAMPLE_FORMAT,
    }


def _template(game: GameSpec) -> Any:
    """Pytree structure of one feature set of ``game`` (traced, never compiled)."""
    env = GameEnv(game)
    return jax.eval_shape(
        lambda k: compute_features(env.game, env.reset(k)[1]), jax.random.PRNGKey(0)
    )


def save_samples(samples: FeatureSamples, path: Path, meta: dict[str, Any]) -> None:
    """Write ``samples`` as a compressed .npz, atomically."""
    meta = {
        **meta,
        "label_names": list(samples.label_names),
        "step_over_reference": samples.step_over_reference,
    }
    arrays: dict[str, Any] = {"meta": np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)}
    arrays["labels"] = np.asarray(samples.labels, np.int32)
    arrays["first_actions"] = np.asarray(samples.first_actions, np.int32)
    for part in PARTS:
        for i, leaf in enumerate(jax.tree.leaves(getattr(samples, part))):
            arrays[f"{part}/{i}"] = np.asarray(leaf)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    write_bytes_atomic(path, buffer.getvalue())


def load_samples(
    path: Path, game: GameSpec, expect: dict[str, Any] | None = None
) -> FeatureSamples:
    """Read samples written by :func:`save_samples`; ValueError if they do not fit."""
    with np.load(path, allow_pickle=False) as data:
        meta = json.loads(bytes(data["meta"]).decode())
        if expect is not None and any(meta.get(k) != v for k, v in expect.items()):
            raise ValueError(f"{path} was collected for {meta}, not {expect}")
        template = _template(game)
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
        labels, first_actions = data["labels"], data["first_actions"]
    return FeatureSamples(
        **parts,
        labels=labels,
        label_names=tuple(meta.get("label_names", ())),
        first_actions=first_actions,
        step_over_reference=float(meta.get("step_over_reference", 0.0)),
    )


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


def _stocked_start(state: Any, stock: int) -> Any:
    """A reset state turned into later progress: every inventory item at ``stock`` (so
    random play places tables and furnaces and makes tools), food, drink and energy low,
    the clock at dusk. Fields a game lacks are left alone."""
    changes: dict[str, Any] = {
        "inventory": jax.tree.map(lambda x: jnp.full_like(x, stock), state.inventory)
    }
    for name in ("player_food", "player_drink", "player_energy"):
        if hasattr(state, name):
            changes[name] = jnp.full_like(getattr(state, name), 2)
    if hasattr(state, "timestep"):
        changes["timestep"] = jnp.full_like(state.timestep, 240)
    return state.replace(**changes)


def _rollout(env: GameEnv, starts: Any, key: jax.Array, steps: int) -> tuple[Any, Any]:
    """Random play from the batched ``starts``: (prev, cur) features per step, (T, B, ...)."""
    num_envs = jax.tree.leaves(starts)[0].shape[0]
    feats = jax.vmap(lambda s: compute_features(env.game, s))

    def body(carry, key):
        states, prev = carry
        act_key, step_key = jax.random.split(key)
        actions = jax.random.randint(act_key, (num_envs,), 0, env.num_actions)
        _, states, _, _, _ = jax.vmap(env.step)(
            jax.random.split(step_key, num_envs), states, actions
        )
        cur = feats(states)
        return (states, cur), (prev, cur)

    _, (prev, cur) = jax.lax.scan(body, (starts, feats(starts)), jax.random.split(key, steps))
    return prev, cur


def _first_steps(env: GameEnv, starts: Any, key: jax.Array) -> tuple[Any, Any]:
    """One step with every action from every start: (prev, cur), (A * B, ...) action-major."""
    num_envs = jax.tree.leaves(starts)[0].shape[0]
    feats = jax.vmap(lambda s: compute_features(env.game, s))
    start = feats(starts)

    def one(action):
        actions = jnp.full((num_envs,), action, jnp.int32)
        keys = jax.random.split(jax.random.fold_in(key, action), num_envs)
        _, states, _, _, _ = jax.vmap(env.step)(keys, starts, actions)
        return feats(states)

    cur = jax.vmap(one)(jnp.arange(env.num_actions))
    prev = jax.tree.map(lambda x: jnp.broadcast_to(x, (env.num_actions, *x.shape)), start)
    return prev, cur


def _scripted(
    prev: SymbolicFeatures, cur: SymbolicFeatures, game: Any
) -> tuple[SymbolicFeatures, SymbolicFeatures, list[str]]:
    """Feature edits of real transitions (numpy, one row each) that random play rarely
    shows: every block and mob kind at distance 0, 1 and 2 (newly in view), nothing in
    view, every achievement just unlocked."""
    names = [b.name for b in game.constants.BlockType] + list(game.mob_kinds)
    count = cur.achievements.shape[0]
    rows: list[int] = []
    labels: list[str] = []
    edits: list[tuple[Any, ...]] = []
    offsets = ((0, 0), (0, 1), (-2, 0))
    for r, name in enumerate(names):
        for dr, dc in offsets:
            rows.append(len(rows) % count)
            labels.append(f"{name} at offset ({dr}, {dc}) from the player, out of view before")
            edits.append(("block", r, dr, dc))
    for label, special in (
        ("nothing in view (night or open ground)", ("unseen",)),
        ("every achievement just unlocked", ("achievements",)),
    ):
        rows.append(len(rows) % count)
        labels.append(label)
        edits.append(special)
    take = np.asarray(rows)
    new_prev = jax.tree.map(lambda x: np.array(np.asarray(x)[take]), prev)
    new_cur = jax.tree.map(lambda x: np.array(np.asarray(x)[take]), cur)
    for i, edit in enumerate(edits):
        if edit[0] == "block":
            _, r, dr, dc = edit
            new_prev.closest_blocks[i, r] = UNSEEN_DISTANCE
            new_cur.closest_blocks[i, r] = UNSEEN_DISTANCE
            new_cur.closest_blocks[i, r, :, 0] = (dr, dc)
        elif edit[0] == "unseen":
            new_prev.closest_blocks[i] = UNSEEN_DISTANCE
            new_cur.closest_blocks[i] = UNSEEN_DISTANCE
        else:
            new_prev.achievements[i] = False
            new_cur.achievements[i] = True
    return new_prev, new_cur, labels


PLAY_STEPS = 256  # random play per episode; the first FIRST_KEPT steps, then every KEEP_EVERY
FIRST_KEPT = 16
KEEP_EVERY = 8
STOCKED_STEPS = 64  # random play from the stocked start, every second step kept
STOCK = 3


def collect_samples(
    game: GameSpec,
    seed: int = 0,
    num_envs: int = 16,
    steps: int = PLAY_STEPS,
    measure_cost: bool = True,
) -> FeatureSamples:
    """Roll out ``game`` and return labelled feature samples (numpy); see the module doc.

    ``measure_cost`` also times the env step against the reference skill
    (``step_over_reference``, :mod:`flowrl.skills.cost`; compiles the game step once more).
    """
    env = GameEnv(game)
    key = jax.random.PRNGKey(seed)
    reset_key, roll_key, stock_key, first_key, rand_key = jax.random.split(key, 5)
    stocked_steps = min(steps, STOCKED_STEPS)

    @jax.jit
    def play(reset_key: jax.Array) -> tuple[Any, ...]:
        _, states = jax.vmap(env.reset)(jax.random.split(reset_key, num_envs))
        prev, cur = _rollout(env, states, roll_key, steps)
        stocked = jax.vmap(lambda s: _stocked_start(s, STOCK))(states)
        s_prev, s_cur = _rollout(env, stocked, stock_key, stocked_steps)
        f_prev, f_cur = _first_steps(env, states, first_key)
        reset = jax.vmap(lambda s: compute_features(game, s))(states)
        return reset, prev, cur, s_prev, s_cur, f_prev, f_cur

    reset, prev, cur, s_prev, s_cur, f_prev, f_cur = jax.tree.map(np.asarray, play(reset_key))
    kept = sorted({*range(min(FIRST_KEPT, steps)), *range(0, steps, KEEP_EVERY)})
    stocked_kept = list(range(0, stocked_steps, 2))
    pick = lambda t, ix: jax.tree.map(lambda x: x[ix].reshape((-1, *x.shape[2:])), t)  # noqa: E731
    label_names: list[str] = []
    labels: list[int] = []

    def add(names: list[str]) -> None:
        for name in names:
            if name not in label_names:
                label_names.append(name)
            labels.append(label_names.index(name))

    parts_prev = [pick(prev, kept), pick(s_prev, stocked_kept)]
    parts_cur = [pick(cur, kept), pick(s_cur, stocked_kept)]
    add([f"random play, step {t}" for t in kept for _ in range(num_envs)])
    add(
        [
            f"random play from a stocked start (inventory {STOCK}, low food/drink/energy, "
            f"dusk), step {t}"
            for t in stocked_kept
            for _ in range(num_envs)
        ]
    )
    real_prev, real_cur = _concat(parts_prev), _concat(parts_cur)
    # Randomised copies (inventory/intrinsics anywhere in range) of the first real ones.
    count = min(real_cur.achievements.shape[0], FIRST_KEPT * num_envs * 2)
    head = lambda t: jax.tree.map(lambda x: x[:count], t)  # noqa: E731
    k1, k2 = jax.random.split(rand_key)
    randomise = jax.jit(jax.vmap(lambda f, k: _randomise(f, k, game.inventory_cap)))
    rand_cur = jax.tree.map(np.asarray, randomise(head(real_cur), jax.random.split(k1, count)))
    rand_prev = jax.tree.map(np.asarray, randomise(head(real_prev), jax.random.split(k2, count)))
    add(["randomised inventory and intrinsics"] * count)
    edit_prev, edit_cur, edit_labels = _scripted(real_prev, real_cur, game)
    add(edit_labels)
    flat = lambda t: jax.tree.map(lambda x: x.reshape((-1, *x.shape[2:])), t)  # noqa: E731
    samples = FeatureSamples(
        prev=_concat([real_prev, rand_prev, edit_prev]),
        cur=_concat([real_cur, rand_cur, edit_cur]),
        reset=reset,
        first_prev=flat(f_prev),
        first_cur=flat(f_cur),
        labels=np.asarray(labels, np.int32),
        label_names=tuple(label_names),
        first_actions=np.repeat(np.arange(env.num_actions, dtype=np.int32), num_envs),
    )
    if measure_cost:
        from flowrl.skills.cost import step_over_reference

        samples.step_over_reference = step_over_reference(game, samples.probe_batch())
    return samples


def _concat(parts: list[Any]) -> Any:
    return jax.tree.map(lambda *xs: np.concatenate([np.asarray(x) for x in xs]), *parts)


def load_or_collect(game: GameSpec, seed: int = 0) -> FeatureSamples:
    """Samples for ``game``: user cache, else shipped file, else collected (and cached)."""
    expect = _meta(game, seed)
    for path in (sample_path(game, seed), shipped_path(game, seed)):
        if path.exists():
            try:
                return load_samples(path, game, expect)
            except (ValueError, KeyError, OSError):  # other version or corrupt: skip it
                continue
    samples = collect_samples(game, seed)
    save_samples(samples, sample_path(game, seed), expect)
    return samples


def main() -> None:
    """Regenerate the shipped sample files (run after upgrading craftax)."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--env", nargs="*", default=None, help="games (default: all registered)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--cost_only",
        action="store_true",
        help="keep the shipped states, only measure the cost baseline again (step_over_reference)",
    )
    args = parser.parse_args()
    from flowrl.envs.games import GAMES, get_game

    names = args.env or sorted(GAMES)
    for name in names:
        game = get_game(name)
        path = shipped_path(game, args.seed)
        if args.cost_only:
            from flowrl.skills.cost import step_over_reference

            samples = load_samples(path, game, _meta(game, args.seed))
            samples.step_over_reference = step_over_reference(game, samples.probe_batch())
        else:
            samples = collect_samples(game, args.seed)
        save_samples(samples, path, _meta(game, args.seed))
        print(f"wrote {path} ({path.stat().st_size / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
