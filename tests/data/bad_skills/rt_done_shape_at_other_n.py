# expect: (n=3) must return one boolean scalar per state
# A scalar at n = 1 and n = 10000 (the counts validation used to try), a (2,) array at
# the counts a plan binds.
def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    shape = (2,) * (n % 10000 > 1)
    return jnp.ones(shape, bool) & (inventory.wood >= n)


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    return inventory_diff.wood * 1.0


def task_network_number():
    return 0
