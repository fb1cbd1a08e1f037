"""Collect Leather: Kill a cow (DO on it until it dies); each cow drops one leather."""


def block_distance(blocks, block_type):
    """Manhattan distance to the nearest visible block of a type (60 when none is in view)."""
    return jnp.abs(blocks[block_type, :, 0]).sum()


def approach_bonus(closest_blocks, closest_blocks_prev, block_type):
    """+1 for a step closer to the nearest block of a type, -1 for a step away, 0 if unseen."""
    now = block_distance(closest_blocks, block_type)
    before = block_distance(closest_blocks_prev, block_type)
    seen = jnp.logical_and(now < 60, before < 60)
    return jnp.where(seen, jnp.clip(before - now, -1, 1), 0).astype(jnp.float32)


def is_near(blocks, block_type):
    """True when a block of a type is in one of the 8 cells around the player."""
    return jnp.max(jnp.abs(blocks[block_type, :, 0])) <= 1


def task_is_done(
    inventory,
    inventory_diff,
    closest_blocks,
    closest_blocks_prev,
    player_intrinsics,
    player_intrinsics_diff,
    achievements,
    n,
):
    return inventory.leather >= n


def task_reward(
    inventory_diff,
    closest_blocks,
    closest_blocks_prev,
    player_intrinsics_diff,
    achievements_diff,
    health_penalty,
):
    gained = inventory_diff.leather.astype(jnp.float32)
    approach = approach_bonus(closest_blocks, closest_blocks_prev, Mob.COW.value)
    return gained + 0.05 * approach + health_penalty


def task_network_number():
    return 0
