"""Place Stone: put a stone from the inventory on a free cell or on water in front of the player."""


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
    return inventory_diff.stone < 0


def task_reward(
    inventory_diff,
    closest_blocks,
    closest_blocks_prev,
    player_intrinsics_diff,
    achievements_diff,
    health_penalty,
):
    placed = achievements_diff[Achievement.PLACE_STONE.value].astype(jnp.float32)
    used = (inventory_diff.stone < 0).astype(jnp.float32)
    return jnp.maximum(placed, used) + health_penalty


def task_network_number():
    return 0
