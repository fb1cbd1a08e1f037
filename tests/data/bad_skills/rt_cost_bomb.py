# expect: times a whole game step per state
# Five 200x200 matrix products per state.
def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    m = jnp.ones((200, 200)) * (1.0 + closest_blocks[0, 0, 0] * 0.0)
    w = m
    for i in range(5):
        w = jnp.matmul(m, w) * 0.001
    return inventory_diff.wood * 1.0 + jnp.clip(w.sum(), 0.0, 0.0)


def task_network_number():
    return 0
