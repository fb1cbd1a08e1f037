"""Collect Wood: gather n wood (fixture for the runtime tests)."""


def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    tree_dist = jnp.abs(closest_blocks[BlockType.TREE.value, :, 0]).sum()
    tree_dist_prev = jnp.abs(closest_blocks_prev[BlockType.TREE.value, :, 0]).sum()
    approach = jnp.clip(tree_dist_prev - tree_dist, -1, 1) * 0.01
    return inventory_diff.wood * 1.0 + approach + health_penalty


def task_network_number():
    return 0
