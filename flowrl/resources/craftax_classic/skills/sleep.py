"""Sleep: when energy is low, press SLEEP and stay asleep until energy is back to full (WAKE_UP)."""


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
    return jnp.logical_and(player_intrinsics_diff[3] > 0, player_intrinsics[3] >= 9.0)


def task_reward(
    inventory_diff,
    closest_blocks,
    closest_blocks_prev,
    player_intrinsics_diff,
    achievements_diff,
    health_penalty,
):
    # signed (potential-based in energy): what energy loses while awake is taken back, so
    # dozing off and waking repeatedly earns nothing
    rested = player_intrinsics_diff[3].astype(jnp.float32)
    woke = achievements_diff[Achievement.WAKE_UP.value].astype(jnp.float32)
    return rested + woke + health_penalty


def task_network_number():
    return 0
