"""Fabrax worlds: Craftax-Classic's world for the same key, with Fabrax ores and clay added."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
from craftax.craftax_classic.world_gen import generate_world as generate_classic_world

from flowrl.envs.fabrax.constants import ORE_CHANCES
from flowrl.envs.fabrax.state import FabraxState, from_classic

WORLD_SALT = 0xFAB


def generate_world(rng: jax.Array, params: Any, static_params: Any) -> FabraxState:
    """Classic's world from ``rng``; some stone becomes copper, tin or limestone and some
    sand becomes clay (chances in :data:`ORE_CHANCES`), drawn from a key derived from ``rng``.
    """
    state = from_classic(generate_classic_world(rng, params, static_params))
    key = jax.random.fold_in(rng, WORLD_SALT)
    block_map = state.map
    for block, (source, chance) in ORE_CHANCES.items():
        key, sub = jax.random.split(key)
        hit = (block_map == source.value) & (jax.random.uniform(sub, block_map.shape) < chance)
        block_map = jnp.where(hit, block.value, block_map)
    return state.replace(map=block_map)
