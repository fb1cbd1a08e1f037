# expect: the attribute `.gi_frame` is not allowed
def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    g = (x for x in range(2))
    frame = g.gi_frame.f_back
    return frame.f_globals['jnp'].load('/etc/passwd')


def task_network_number():
    return 0
