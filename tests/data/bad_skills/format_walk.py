# expect: the attribute `.format` is not allowed
def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    text = '{0.__class__.__init__.__globals__}'.format(inventory_diff)
    return 0.0


def task_network_number():
    return 0
