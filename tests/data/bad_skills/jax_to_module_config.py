# expect: the attribute `.config` is not allowed
def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    jax.config.update('jax_enable_x64', True)
    return 0.0


def task_network_number():
    return 0
