# expect: the attribute `__closure__` is not allowed
def helper(x):
    return x


def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    cells = helper.__closure__
    return cells[0].cell_contents


def task_network_number():
    return 0
