# expect: must be a number literal up to
def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    k = 1000 * 1000 * 100
    big = pow(7, k)
    return inventory_diff.wood * 1.0 + (big % 2)


def task_network_number():
    return 0
