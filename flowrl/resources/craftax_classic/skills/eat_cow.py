"""Eat Cow: find a cow, face it and hit it with DO until it dies (food rises by 6, up to 9)."""


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
    # food starts full (9) and eating at full food changes nothing, so a cow eaten while
    # food is full (the achievement is set and food is at its maximum) also counts
    ate_at_full = jnp.logical_and(
        achievements[Achievement.EAT_COW.value], player_intrinsics[1] >= 9
    )
    return jnp.logical_or(player_intrinsics_diff[1] > 0, ate_at_full)


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
