"""Defeat Skeleton: find a skeleton, face it and hit it with DO until it dies."""

def block_distance(blocks, block_type):
    """Manhattan distance to the nearest visible block of a type (60 when none is in view)."""
    return jnp.abs(blocks[block_type, :, 0]).sum()


def approach_bonus(closest_blocks, closest_blocks_prev, block_type):
    """+1 for a step closer to the nearest block of a type, -1 for a step away, 0 if unseen."""
    now = block_distance(closest_blocks, block_type)
    before = block_distance(closest_blocks_prev, block_type)
    seen = jnp.logical_and(now < 60, before < 60)
    return jnp.where(seen, jnp.clip(before - now, -1, 1), 0).astype(jnp.float32)



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
    return achievements[Achievement.DEFEAT_SKELETON.value]


def task_reward(
    inventory_diff,
    closest_blocks,
    closest_blocks_prev,
    player_intrinsics_diff,
    achievements_diff,
    health_penalty,
):
    won = achievements_diff[Achievement.DEFEAT_SKELETON.value].astype(jnp.float32)
    approach = approach_bonus(closest_blocks, closest_blocks_prev, Mob.SKELETON.value)
    return won + 0.05 * approach + health_penalty


def task_network_number():
    return 0
