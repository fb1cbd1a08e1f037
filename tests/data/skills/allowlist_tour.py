"""Collect Wood written with much of the allowlist: a good skill must keep passing."""

WEIGHTS = {"gain": 1.0, "approach": 0.05}
TARGETS = [0, 1]
TREE = BlockType.TREE.value
NUM_BLOCKS = len(BlockType)


def keep(x):
    return x


def silence(x):
    return x * 0.0


def distance(blocks: jnp.ndarray, block_type: int) -> jax.Array:
    offsets = blocks[block_type, :, 0].astype(jnp.float32)
    return jnp.linalg.norm(offsets, ord=1)


def task_is_done(inventory, inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics, player_intrinsics_diff, achievements, n) -> bool:
    return jnp.logical_and(inventory.wood >= n, jnp.all(player_intrinsics >= 0))


def task_reward(inventory_diff, closest_blocks, closest_blocks_prev, player_intrinsics_diff, achievements_diff, health_penalty) -> float:
    _ = NUM_BLOCKS + len(BlockType)
    seen = [0.0, 0.0]
    for i, block in enumerate((BlockType.TREE, BlockType.GRASS)):
        seen[i] = jnp.where(distance(closest_blocks, block.value) < 60, 1.0, 0.0)
    near = jnp.zeros(2).at[0].set(seen[0]).at[1].add(seen[1])
    step = jax.lax.clamp(-1.0, distance(closest_blocks_prev, BlockType.TREE.value) - distance(closest_blocks, BlockType.TREE.value), 1.0)
    gained = jax.nn.relu(inventory_diff.wood.astype(float))
    unlocked = achievements_diff[Achievement.COLLECT_WOOD.value].astype(jnp.float32)
    shaped = WEIGHTS["approach"] * jax.lax.select(near.sum() > TARGETS[0], step, 0.0)
    total = sum([WEIGHTS["gain"] * gained, shaped, 0.0 * unlocked])
    total = jax.lax.cond(isinstance(TREE, int), keep, silence, total)
    return jnp.clip(total, -1.0, 2.0) + health_penalty


def task_network_number():
    return 0
