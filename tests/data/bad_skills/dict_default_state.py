# expect: parameter defaults must be literal constants
def counter(value, seen={"calls": 0}):
    seen["calls"] = seen["calls"] + 1
    return value * seen["calls"]


def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    return counter(inventory_diff.wood * 1.0)


def task_network_number():
    return 0
