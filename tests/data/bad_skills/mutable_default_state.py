# expect: parameter defaults must be literal constants
# A list default survives between calls: the first calls (validation) see an empty
# history and behave; once the history is long (training) the reward turns into NaN.
def remember(value, history=[]):
    history += [0]
    return jnp.where(len(history) > 50, jnp.nan, value)


def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    return inventory.wood >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    return remember(inventory_diff.wood * 1.0)


def task_network_number():
    return 0
