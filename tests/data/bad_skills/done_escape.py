# expect: the attribute `.gi_frame` is not allowed
def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    g = (x for x in range(1))
    return g.gi_frame is None


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    return 0.0


def task_network_number():
    return 0
