"""Test skill: done at n wood; reward is a per-step marker so tests can see which step paid."""

MARKER = 0.25


def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    return MARKER + 0.0 * health_penalty


def task_network_number():
    return 0
