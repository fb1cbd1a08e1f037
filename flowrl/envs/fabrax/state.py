"""Fabrax state: Craftax-Classic's state with a larger inventory, 54 achievements and one flag.

Both classes subclass the released Classic dataclasses, so every Classic game function
(``craftax_step``, mobs, intrinsics, ``cap_inventory``) runs on them unchanged.
"""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
from craftax.craftax_classic.envs.craftax_state import EnvState, Inventory
from flax import struct

from flowrl.envs.fabrax.constants import Achievement


@struct.dataclass
class FabraxInventory(Inventory):
    """Classic's 12 items (same order) followed by the Fabrax items."""

    # raw materials
    copper: int = 0
    tin: int = 0
    sand: int = 0
    clay: int = 0
    limestone: int = 0
    leather: int = 0
    # metallurgy
    iron_bar: int = 0
    steel_bar: int = 0
    bronze_bar: int = 0
    bellows: int = 0
    steel_pickaxe: int = 0
    bronze_pickaxe: int = 0
    steel_sword: int = 0
    bronze_sword: int = 0
    # glass and ceramics
    glass: int = 0
    bottle: int = 0
    lens: int = 0
    telescope: int = 0
    brick: int = 0
    lime: int = 0
    mortar: int = 0
    # chemistry and alchemy
    tar: int = 0
    fertilizer: int = 0
    flux: int = 0
    tonic_basic: int = 0
    tonic_stoneskin: int = 0


INVENTORY_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(FabraxInventory))
CLASSIC_INVENTORY_FIELDS: tuple[str, ...] = tuple(f.name for f in dataclasses.fields(Inventory))
ITEM_INDEX: dict[str, int] = {name: i for i, name in enumerate(INVENTORY_FIELDS)}


@struct.dataclass
class FabraxState(EnvState):
    """Classic ``EnvState`` (inventory: :class:`FabraxInventory`) plus the quench flag."""

    edge_hardened: bool = False


def empty_inventory() -> FabraxInventory:
    """All-zero int32 inventory."""
    return FabraxInventory(**{name: jnp.zeros((), jnp.int32) for name in INVENTORY_FIELDS})  # type: ignore[arg-type]  # flax struct fields are traced arrays, annotated as int


def inventory_vector(inventory: Inventory) -> jnp.ndarray:
    """The inventory as an int32 vector in :data:`INVENTORY_FIELDS` order."""
    return jnp.stack([jnp.asarray(getattr(inventory, n), jnp.int32) for n in INVENTORY_FIELDS])


def inventory_from_vector(vector: jnp.ndarray) -> FabraxInventory:
    return FabraxInventory(**{name: vector[i] for i, name in enumerate(INVENTORY_FIELDS)})  # type: ignore[arg-type]  # flax struct fields are traced arrays, annotated as int


def from_classic(state: EnvState) -> FabraxState:
    """Lift a Classic state into Fabrax (no Fabrax items, Fabrax achievements unset)."""
    values = {f.name: getattr(state, f.name) for f in dataclasses.fields(EnvState)}
    inventory = empty_inventory().replace(
        **{n: jnp.asarray(getattr(state.inventory, n), jnp.int32) for n in CLASSIC_INVENTORY_FIELDS}
    )
    achievements = (
        jnp.zeros(len(Achievement), bool).at[: state.achievements.shape[0]].set(state.achievements)
    )
    values.update(inventory=inventory, achievements=achievements)
    return FabraxState(**values, edge_hardened=jnp.zeros((), bool))  # type: ignore[arg-type]  # flax struct fields are traced arrays, annotated as bool


def strongly_typed(state: FabraxState) -> FabraxState:
    """Every leaf as a strongly typed array, so reset and step outputs share one signature
    (Classic's reset leaves Python scalars and weakly typed arrays; a jitted step called on
    both would compile twice)."""
    return jax.tree.map(lambda x: jnp.asarray(x, jnp.asarray(x).dtype), state)
