"""Why does a skill not learn what plain PPO learns? One factor at a time, side by side.

Trains a knowledge-base mob skill (Eat Cow, Defeat Zombie) as its own one-step plan, with
variants that each change one factor of the skill formulation (the reward terms, the
episode end at completion), and plain PPO on the game's reward, with the same trainer,
sizes, seed and frames. Every run is judged the same way: fresh sampled episodes of at
most ``--horizon`` steps, the share in which the skill's achievement was unlocked (for the
skill runs also the plan's completion within the horizon), with the 95% Wilson interval.

    python benchmarks/skill_vs_ppo.py --skill "Eat Cow" --total_timesteps 1e6
    python benchmarks/skill_vs_ppo.py --skill "Defeat Zombie" --variants kb game_reward ppo
"""

from __future__ import annotations

import argparse
import re
import tempfile
import time
from typing import Any

from bench_common import RESULTS, describe, machine, write_json

from flowrl.envs.games import GameSpec, get_game
from flowrl.rl.baseline import baseline_config, game_reward_plan, game_reward_source
from flowrl.rl.config import load_config
from flowrl.rl.evaluate import evaluate
from flowrl.rl.success import wilson_interval
from flowrl.rl.trainer import train
from flowrl.skills.knowledge import kb_skill
from flowrl.skills.plan_module import single_skill_plan

CLASSIC = "Craftax-Classic-Symbolic-v1"
ACHIEVEMENT = {"Eat Cow": "eat_cow", "Defeat Zombie": "defeat_zombie"}

# task_reward bodies: each variant changes one factor of the knowledge base's reward
REWARDS = {
    "no_health": "return {gain} + 0.05 * approach",
    "health_only": "return {gain} + 0.05 * approach + 0.1 * player_intrinsics_diff[0]",
    "no_approach": "return {gain} + health_penalty",
}


def _kb_source(game: GameSpec, skill: str) -> str:
    return kb_skill(game, skill).code


def _variant_source(source: str, variant: str) -> str:
    """The KB source with its final ``return`` of task_reward replaced."""
    head, tail = source.split("def task_reward(", 1)
    body, rest = tail.split("def task_network_number", 1)
    gain = re.search(r"\n    (\w+) = ", body).group(1)  # the first assignment: the gain term
    new_return = "    " + REWARDS[variant].format(gain=gain) + "\n\n\n"
    body = re.sub(r"\n    return .*\n+$", "\n" + new_return, body, flags=re.S)
    return head + "def task_reward(" + body + "def task_network_number" + rest


def _game_reward_done_source(game: GameSpec, skill_source: str) -> str:
    """The game's reward (every achievement, 0.1 x health change), done as the skill's."""
    reward_source = game_reward_source(game)
    done = skill_source.split("def task_reward(", 1)[0]
    reward = "def task_reward(" + reward_source.split("def task_reward(", 1)[1]
    header = reward_source.split("def task_is_done(", 1)[0]
    return header + done[done.index("def task_is_done(") :] + reward


# trainer settings a variant changes (the knowledge base's code unchanged)
SETTINGS = {
    "kb": {},  # the knowledge base's skill as it is, its own reward alone
    "kb_game_reward": {"game_reward_weight": 1.0},
    "kb_game_reward_0.3": {"game_reward_weight": 0.3},
}


def plans(game: GameSpec, skill: str, variants: list[str]):
    source = _kb_source(game, skill)
    for v in variants:
        if v == "ppo":
            yield v, game_reward_plan(game)
        elif v in SETTINGS:
            yield v, single_skill_plan(source, game, skill)
        elif v == "game_reward":
            yield v, single_skill_plan(_game_reward_done_source(game, source), game, skill)
        else:
            yield v, single_skill_plan(_variant_source(source, v), game, skill)


def run(args: argparse.Namespace) -> dict[str, Any]:
    base = load_config(
        args.profile, total_timesteps=int(float(args.total_timesteps)), seed=args.seed
    )
    rows = []
    game = get_game(args.env_name)
    for variant, plan in plans(game, args.skill, args.variants):
        # every variant changes one factor of the skill's own formulation: no game reward
        # unless the variant adds it (whatever the trainer's default)
        config = base.replace(
            early_stop_below=0.0, success_threshold=1.0, extend_max=0.0, game_reward_weight=0.0
        )
        config = config.replace(**SETTINGS.get(variant, {}))
        if variant == "ppo":
            config = baseline_config(base, int(float(args.total_timesteps)), args.seed).replace(
                extend_max=0.0
            )
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.perf_counter()
            result = train(plan, game, tmp, config, progress=False, keep="last")
            wall = time.perf_counter() - t0
            ev = evaluate(
                result.checkpoint_dir,
                num_episodes=args.episodes,
                seed=1000 + args.seed,
                max_episode_steps=args.horizon,
            )
        name = ACHIEVEMENT[args.skill]
        k = round(ev["achievements"]["pct"][name] * args.episodes / 100)
        lo, hi = wilson_interval(k, args.episodes)
        row = {
            "variant": variant,
            "frames": result.frames,
            "wall_s": round(wall, 1),
            "achievement_rate": k / args.episodes,
            "achievement_interval": [lo, hi],
            "plan_success_sampled": ev["sampled"]["success_rate"],
            "train_best": result.success_rate,
            "episode_length": ev["sampled"]["episode_length_mean"],
            "achievements_pct": ev["achievements"]["pct"],  # every achievement, same episodes
        }
        rows.append(row)
        print(
            f"{variant:>12}: {name} {row['achievement_rate']:.2f} [{lo:.2f}, {hi:.2f}] in "
            f"{args.episodes} fresh episodes of <= {args.horizon} steps; plan success "
            f"{row['plan_success_sampled']:.2f}; mean length {row['episode_length']:.0f}; "
            f"{result.frames:,} frames, {wall:.0f} s",
            flush=True,
        )
    return {"skill": args.skill, "args": vars(args), "machine": machine(), "rows": rows}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--skill", default="Eat Cow", choices=sorted(ACHIEVEMENT))
    p.add_argument("--env_name", default=CLASSIC)
    p.add_argument("--variants", nargs="+", default=["ppo", "game_reward", *REWARDS, *SETTINGS])
    p.add_argument("--total_timesteps", default="1e6")
    p.add_argument("--profile", default="cpu")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--episodes", type=int, default=64)
    p.add_argument("--horizon", type=int, default=1000)
    p.add_argument("--out", default=None)
    args = p.parse_args()
    data = run(args)
    print(describe(data["machine"]))
    slug = args.skill.lower().replace(" ", "_")
    write_json(args.out or RESULTS / f"skill_vs_ppo_{slug}.json", data)


if __name__ == "__main__":
    main()
