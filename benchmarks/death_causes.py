"""How do a checkpoint's episodes die? Rolls out fresh sampled episodes of a trained plan and
classifies each death by the state just before it: stepped into lava, the nearest hostile
mob within reach (Manhattan distance <= 2; a shooter, e.g. a skeleton, <= 6), food, drink or
energy empty (starved), or none of these. Prints, per plan step, how many episodes died there and why, and the health, needs
and episode length at death. Any registered game (lava and mob kinds come from its spec).

    python benchmarks/death_causes.py results/.../skill_11/checkpoint --episodes 64

(docs/training.md, "Dying costs": the depth run's Collect Iron died of zombies, not lava.)
"""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from bench_common import describe, machine, write_json

from flowrl.rl.rollout import load_policy, make_rollout

REACH = 2  # a mob this close (Manhattan) may have dealt the last hit
SHOT_REACH = 6  # ... and a shooter this close (arrows fly)
PASSIVE = {"COW", "BAT", "SNAIL"}  # mobs that never hurt the player
SHOOTERS = {"skeletons", "ranged_mobs"}  # mob arrays whose kinds shoot


def reach_of(game: Any) -> np.ndarray:
    """Per mob kind, the distance within which it may have dealt the last hit (0: never)."""
    reach = []
    for field_name, kinds in game.mob_groups:
        for kind in kinds:
            far = SHOT_REACH if field_name in SHOOTERS else REACH
            reach.append(0 if kind in PASSIVE else far)
    return np.asarray(reach)


def death_records(checkpoint: str, episodes: int, seed: int) -> dict[str, np.ndarray]:
    """Per episode: died, success, plan step at the end, the state before the last step."""
    env, network, params, _ = load_policy(checkpoint)
    game = env.game
    lava = game.constants.BlockType.LAVA.value
    mob_rows = slice(game.num_block_types, game.num_block_types + len(game.mob_kinds))

    def record(state: Any, new_state: Any, info: dict[str, Any]) -> dict[str, jax.Array]:
        """What a death's cause is read from (one env): lava under the player after the
        step; needs, health and the nearest mob of each kind before it."""
        game_state = new_state.env_state
        block_map = game_state.map[game_state.player_level] if game.has_levels else game_state.map
        position = game_state.player_position
        mobs = state.features.closest_blocks[mob_rows, :, 0]  # nearest of each kind
        return {
            "lava": block_map[position[0], position[1]] == lava,
            "step": info["prev_plan_step"],
            "intrinsics": state.features.player_intrinsics,
            "mob_distance": jnp.abs(mobs).sum(-1).astype(jnp.int32),
        }

    rollout = make_rollout(env, network, episodes, record=record)
    keys = jax.random.split(jax.random.PRNGKey(seed), episodes)
    out = jax.device_get(rollout(params, keys, jnp.asarray(False)))
    rec = {k: np.asarray(v) for k, v in {**out, **out.pop("at_end")}.items()}
    rec["names"] = np.asarray(env.task_names[: env.num_tasks])
    rec["mob_kinds"] = np.asarray(game.mob_kinds)
    rec["reach"] = reach_of(game)
    return rec


def causes(rec: dict[str, np.ndarray]) -> list[str]:
    """One cause per dead episode: lava, the nearest hostile mob within its reach, starved,
    other."""
    found = []
    for i in np.flatnonzero(rec["died"]):
        near = np.where(rec["mob_distance"][i] <= rec["reach"], rec["mob_distance"][i], 999)
        if rec["lava"][i]:
            found.append("lava")
        elif near.min() < 999:
            found.append(str(rec["mob_kinds"][int(near.argmin())]).lower())
        elif (rec["intrinsics"][i][1:4] <= 0).any():
            found.append("starved")
        else:
            found.append("other")
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint")
    parser.add_argument("--episodes", type=int, default=64)
    parser.add_argument("--seed", type=int, default=123)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    m = machine()
    print(f"# {describe(m)}")
    rec = death_records(args.checkpoint, args.episodes, args.seed)
    died = rec["died"]
    cause = causes(rec)
    print(
        f"{args.episodes} fresh sampled episodes: success {rec['success'].mean():.2f}, "
        f"died {died.mean():.2f}, unfinished {(~rec['done']).mean():.2f}"
    )
    rows = []
    for k, name in enumerate(rec["names"]):
        here = [c for c, i in zip(cause, np.flatnonzero(died), strict=True) if rec["step"][i] == k]
        if here:
            rows.append({"step": k, "skill": str(name), "died": len(here), **Counter(here)})
            print(f"step {k} {name}: {len(here)} died: {dict(Counter(here))}")
    dead = np.flatnonzero(died)
    health = rec["intrinsics"][dead, 0]
    print(f"health before the last step: {np.round(health, 1).tolist()}")
    print(f"episode length at death: {rec['length'][dead].tolist()}")
    write_json(
        args.json,
        {
            "checkpoint": args.checkpoint,
            "episodes": args.episodes,
            "success": float(rec["success"].mean()),
            "died": float(died.mean()),
            "by_step": rows,
            "machine": m,
        },
    )


if __name__ == "__main__":
    main()
