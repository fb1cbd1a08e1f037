# expect: a Python `if` on a traced value

def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    if inventory.wood >= n:
        return True
    return False


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    return 0.0


def task_network_number():
    return 0
