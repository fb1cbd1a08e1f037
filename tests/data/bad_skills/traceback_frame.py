# expect: the attribute `.tb_frame` is not allowed
def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    tb = inventory_diff.wood.tb_frame
    return tb.f_back.f_builtins


def task_network_number():
    return 0
