# expect: trivially done
# Passes the done-at-reset check (the view equals itself) but any move completes it.
def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return jnp.any(closest_blocks != closest_blocks_prev)


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    return inventory_diff.wood * 1.0


def task_network_number():
    return 0
