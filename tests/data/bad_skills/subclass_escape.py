# expect: private and dunder attributes are off limits

def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    x = ().__class__.__bases__[0].__subclasses__()
    return 0.0


def task_network_number():
    return 0
