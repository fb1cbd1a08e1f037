# expect: range() bounds must be integer literals

def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    total = 0.0
    for i in range(10 ** 9):
        total = total + 1.0
    return total


def task_network_number():
    return 0
