"""Eat Cow: find a cow, face it and hit it with DO until it dies (food rises by 6)."""


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
    return player_intrinsics_diff[1] > 0


def task_reward(
    inventory_diff,
    closest_blocks,
    closest_blocks_prev,
    player_intrinsics_diff,
    achievements_diff,
    health_penalty,
):
    ate = jnp.maximum(
        achievements_diff[Achievement.EAT_COW.value].astype(jnp.float32),
        (player_intrinsics_diff[1] > 0).astype(jnp.float32),
    )
    return ate + health_penalty


def task_network_number():
    return 0
