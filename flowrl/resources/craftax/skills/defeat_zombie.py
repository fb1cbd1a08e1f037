"""Defeat Zombie: on the overworld, find a zombie and hit it with DO until it dies (n kills).

The overworld kill counter starts at 10 in a fresh world (its ladder starts open).
"""


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
    return jnp.maximum(killed, first) + health_penalty


def task_network_number():
    return 0
