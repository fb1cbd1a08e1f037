# expect: per-step rewards must stay within
# exp of the distance: about 1e26 whenever nothing of the kind is in view.
def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    distance = jnp.abs(closest_blocks[BlockType.TREE.value, :, 0]).sum()
    return jnp.exp(distance * 1.0)


def task_network_number():
    return 0
