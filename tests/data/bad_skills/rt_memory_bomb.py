# expect: needs more memory than the sandbox allows
def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    big = jnp.ones((1 << 15, 1 << 15), dtype=jnp.float32) * health_penalty
    return jnp.sort(big.ravel())[0]


def task_network_number():
    return 0
