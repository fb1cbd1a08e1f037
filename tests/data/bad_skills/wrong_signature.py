# expect: must have exactly the parameters
def task_is_done(inventory, n):
    return inventory.wood >= n


def task_reward(inventory_diff):
    return inventory_diff.wood


def task_network_number():
    return 0
