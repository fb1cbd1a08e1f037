# expect: NaN or infinity
# Finite while no table is in view (the first random steps), infinite once one is placed
# next to the player.
def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    table = closest_blocks[BlockType.CRAFTING_TABLE.value, :, 0]
    distance = jnp.abs(table).sum()
    return 0.01 / (distance - 1.0)


def task_network_number():
    return 0
