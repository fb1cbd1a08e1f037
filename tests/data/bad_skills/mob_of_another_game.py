# expect: `Mob.BAT` is not a member of Mob
def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return jnp.abs(closest_blocks[Mob.COW.value, :, 0]).sum() == 1


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    return jnp.abs(closest_blocks[Mob.BAT.value, :, 0]).sum().astype(jnp.float32)


def task_network_number():
    return 0
