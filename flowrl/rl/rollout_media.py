"""Render one evaluation episode as a GIF with the current plan step (or upkeep skill)
written above it."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

import jax
import numpy as np

from flowrl.envs.flow_env import FlowEnv
from flowrl.rl.rollout import replay

BLOCK_PIXELS = 16
BAND_PIXELS = 14


def pixel_renderer(env: FlowEnv):
    """The game's pixel renderer (craftax or craftax_classic) as ``state -> (H, W, 3)``."""
    module_name = env.game.constants_module.rsplit(".", 1)[0] + ".renderer"
    module = importlib.import_module(module_name)
    make = module.make_craftax_pixel_renderer
    try:
        return make(BLOCK_PIXELS, do_night_noise=False)
    except TypeError:  # craftax_classic's renderer takes only the block size
        return make(BLOCK_PIXELS)


def overlay(frame: np.ndarray, text: str) -> np.ndarray:
    """Frame with a black band on top holding ``text``."""
    from PIL import Image, ImageDraw

    h, w, _ = frame.shape
    canvas = Image.new("RGB", (w, h + BAND_PIXELS), (0, 0, 0))
    canvas.paste(Image.fromarray(frame), (0, BAND_PIXELS))
    ImageDraw.Draw(canvas).text((2, 1), text, fill=(255, 255, 255))
    return np.asarray(canvas)


def render_frames(env: FlowEnv, states: Any, steps: np.ndarray) -> list[np.ndarray]:
    render = jax.jit(jax.vmap(pixel_renderer(env)))
    pixels = np.asarray(render(states)).clip(0, 255).astype(np.uint8)
    names, total = env.plan.names, env.num_tasks
    frames = []
    for t, (image, k) in enumerate(zip(pixels, steps, strict=True)):
        k = int(k)
        if k > total:
            label = f"upkeep: {env.upkeep[k - total - 1].name}"
        elif k == total:
            label = "plan complete"
        else:
            label = f"step {k + 1}/{total}: {names[k]}"
        frames.append(overlay(image, f"t={t} {label}"))
    return frames


def write_success_gif(
    env: FlowEnv,
    network,
    params,
    keys: jax.Array,
    episodes: dict[str, dict[str, Any]],
    path: Path,
    max_frames: int = 400,
) -> dict[str, Any]:
    """GIF of the first successful episode (greedy first, then sampled); a note if none."""
    import imageio.v2 as imageio

    for policy in ("greedy", "sampled"):
        success = np.asarray(episodes[policy]["success"])
        if not success.any():
            continue
        index = int(np.argmax(success))
        length = int(episodes[policy]["length"][index])
        states, steps, replayed = replay(
            env, network, params, keys[index], policy == "greedy", length
        )
        if len(steps) > max_frames:  # keep the end, where the plan completes
            states = jax.tree.map(lambda x: x[-max_frames:], states)
            steps = steps[-max_frames:]
        frames = render_frames(env, states, steps)
        path.parent.mkdir(parents=True, exist_ok=True)
        imageio.mimsave(path, frames, duration=0.1, loop=0)
        return {
            "path": str(path),
            "policy": policy,
            "episode": index,
            "length": length,
            "frames": len(frames),
            "replay_success": replayed,
        }
    return {"path": None, "reason": "no successful episode to render"}
