"""Collect Wood for full Craftax (fixture for the runtime tests)."""


def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_level, monsters_killed, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_level_diff, monsters_killed_diff, player_intrinsics_diff, achievements_diff, health_penalty):
    return inventory_diff.wood * 1.0 + health_penalty


def task_network_number():
    return 0
