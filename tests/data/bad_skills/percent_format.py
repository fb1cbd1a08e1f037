# expect: string formatting with `%` is not allowed
FMT = "%0900000000d"


def widen(fmt, x):
    return fmt % x


def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    text = widen(FMT, 1)
    return inventory_diff.wood * 1.0 + len(text) * 0.0


def task_network_number():
    return 0
