"""Defeat Zombie: on the overworld, find a zombie and hit it with DO until it dies (n kills).

The overworld kill counter starts at 10 in a fresh world (its ladder starts open).
"""

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
    player_level,
    monsters_killed,
    player_intrinsics,
    player_intrinsics_diff,
    achievements,
    n,
):
    return monsters_killed[0] >= 10 + n


def task_reward(
    inventory_diff,
    closest_blocks,
    closest_blocks_prev,
    player_level_diff,
    monsters_killed_diff,
    player_intrinsics_diff,
    achievements_diff,
    health_penalty,
):
    killed = jnp.maximum(monsters_killed_diff[0], 0).astype(jnp.float32)
    first = achievements_diff[Achievement.DEFEAT_ZOMBIE.value].astype(jnp.float32)
    approach = approach_bonus(closest_blocks, closest_blocks_prev, Mob.ZOMBIE.value)
    return jnp.maximum(killed, first) + 0.05 * approach + health_penalty


def task_network_number():
    return 0
