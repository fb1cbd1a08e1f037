# expect: multiplied by itself in a loop grows exponentially
# No power operator at all: squaring 40 times makes a number of 2**40 digits, computed in
# C calls no alarm interrupts (and the trainer, loading a plan, has no sandbox).
def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    v = 7
    for i in range(40):
        v = v * v
    return inventory_diff.wood * 1.0 + (v % 2)


def task_network_number():
    return 0
