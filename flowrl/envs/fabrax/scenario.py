"""Constructed Fabrax situations for tests, demos and debugging.

``arena`` turns a reset state into a quiet scene: no mobs, grass around the player and
the given blocks, inventory and facing direction. ``Player`` steps one jitted env with a
fixed key sequence and can ``turn`` in place (setting the facing direction directly, so a
walkable cell can be faced without stepping onto it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import jax
import jax.numpy as jnp

from flowrl.envs.fabrax.constants import Action, BlockType
from flowrl.envs.fabrax.state import FabraxState, empty_inventory, strongly_typed

OFFSETS: dict[str, tuple[int, int]] = {
    "left": (0, -1),
    "right": (0, 1),
    "up": (-1, 0),
    "down": (1, 0),
    "up_left": (-1, -1),
    "up_right": (-1, 1),
    "down_left": (1, -1),
    "down_right": (1, 1),
}
FACING = {"left": Action.LEFT, "right": Action.RIGHT, "up": Action.UP, "down": Action.DOWN}


def quiet_params(params: Any) -> Any:
    """``params`` with no mob spawning (scripted scenes stay deterministic in intent)."""
    return params.replace(
        spawn_cow_chance=0.0,
        spawn_zombie_base_chance=0.0,
        spawn_zombie_night_chance=0.0,
        spawn_skeleton_chance=0.0,
    )


def _no_mobs(mobs: Any) -> Any:
    return mobs.replace(mask=jnp.zeros_like(mobs.mask))


def arena(
    state: FabraxState,
    blocks: Mapping[str, BlockType] | None = None,
    inventory: Mapping[str, int] | None = None,
    facing: str = "up",
    radius: int = 3,
) -> FabraxState:
    """A scene around the player: grass within ``radius``, ``blocks`` at named offsets."""
    r0, c0 = (int(v) for v in state.player_position)
    block_map = state.map.at[r0 - radius : r0 + radius + 1, c0 - radius : c0 + radius + 1].set(
        BlockType.GRASS.value
    )
    for where, block in (blocks or {}).items():
        dr, dc = OFFSETS[where]
        block_map = block_map.at[r0 + dr, c0 + dc].set(block.value)
    inv = empty_inventory().replace(
        **{k: jnp.asarray(v, jnp.int32) for k, v in (inventory or {}).items()}
    )
    return state.replace(
        map=block_map,
        mob_map=jnp.zeros_like(state.mob_map),
        zombies=_no_mobs(state.zombies),
        cows=_no_mobs(state.cows),
        skeletons=_no_mobs(state.skeletons),
        arrows=_no_mobs(state.arrows),
        inventory=inv,
        player_direction=jnp.asarray(FACING[facing].value, jnp.int32),
        achievements=jnp.zeros_like(state.achievements),
        edge_hardened=jnp.zeros((), bool),
    )


def put_mob(state: FabraxState, kind: str, where: str, health: int) -> FabraxState:
    """Put a ``kind`` ("zombies", "cows", "skeletons") mob with ``health`` next to the player."""
    dr, dc = OFFSETS[where]
    position = state.player_position + jnp.array([dr, dc], jnp.int32)
    mobs = getattr(state, kind)
    mobs = mobs.replace(
        position=mobs.position.at[0].set(position),
        health=mobs.health.at[0].set(health),
        mask=mobs.mask.at[0].set(True),
        attack_cooldown=mobs.attack_cooldown.at[0].set(5),
    )
    mob_map = state.mob_map.at[position[0], position[1]].set(True)
    return state.replace(**{kind: mobs}, mob_map=mob_map)


class Player:
    """Steps a Fabrax env from a state with a deterministic key sequence."""

    def __init__(self, env: Any, params: Any, step: Any, state: FabraxState, seed: int = 0):
        self.env, self.params, self.step_fn = env, params, step
        self.state = state
        self.key = jax.random.PRNGKey(seed)
        self.rewards: list[float] = []

    def act(self, *actions: Action | int, times: int = 1) -> Player:
        self.state = strongly_typed(self.state)  # hand edits may leave weak types
        for _ in range(times):
            for action in actions:
                self.key, sub = jax.random.split(self.key)
                value = action.value if isinstance(action, Action) else int(action)
                _, self.state, reward, _, _ = self.step_fn(
                    sub, self.state, jnp.asarray(value, jnp.int32), self.params
                )
                self.rewards.append(float(reward))
        return self

    def turn(self, facing: str) -> Player:
        self.state = self.state.replace(
            player_direction=jnp.asarray(FACING[facing].value, jnp.int32)
        )
        return self

    def play(self, script: Iterable[tuple[str, Any]]) -> Player:
        """Run ``("turn", "left")`` / ``("act", Action.DO)`` / ``("act", (Action.DO, 3))`` steps."""
        for kind, arg in script:
            if kind == "turn":
                self.turn(arg)
            elif isinstance(arg, tuple):
                self.act(arg[0], times=arg[1])
            else:
                self.act(arg)
        return self

    def item(self, name: str) -> int:
        return int(getattr(self.state.inventory, name))

    def block(self, where: str) -> BlockType:
        dr, dc = OFFSETS[where]
        r, c = (int(v) for v in self.state.player_position)
        return BlockType(int(self.state.map[r + dr, c + dc]))

    def achieved(self) -> set[str]:
        from flowrl.envs.fabrax.constants import Achievement

        return {a.name for a in Achievement if bool(self.state.achievements[a.value])}
