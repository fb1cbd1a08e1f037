"""Defeat Zombie: find a zombie, face it and hit it with DO until it dies."""


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
    return achievements[Achievement.DEFEAT_ZOMBIE.value]


def task_reward(
    inventory_diff,
    closest_blocks,
    closest_blocks_prev,
    player_intrinsics_diff,
    achievements_diff,
    health_penalty,
):
    return achievements_diff[Achievement.DEFEAT_ZOMBIE.value].astype(jnp.float32) + health_penalty


def task_network_number():
    return 0
