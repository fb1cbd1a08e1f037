# expect: took longer than

def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n):
    acc = inventory.wood * 0
    for i in range(1000):
        for j in range(1000):
            for k in range(1000):
                acc = acc + i * j * k
    return acc >= n


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty):
    return 0.0


def task_network_number():
    return 0
