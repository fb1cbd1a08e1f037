"""Each plan step's outputs at the step's own count, checked before a flow env runs them.

Validation probes a few counts; a plan binds its own. Tracing (not running) every step's
``task_is_done`` and ``task_reward`` at its bound ``n`` on the game's feature shapes turns a
non-scalar output into a :class:`SkillCodeError` naming the step, instead of a reshape
error deep inside a jitted training step.
"""

from __future__ import annotations

from typing import Any

import jax

from flowrl.envs.features import call_with_features, compute_features, skill_arguments
from flowrl.envs.game_env import GameEnv
from flowrl.envs.games import GameSpec
from flowrl.skills.loader import SkillCodeError


def check_step_outputs(plan: Any, game: GameSpec) -> None:
    """Raise :class:`SkillCodeError` for every plan step whose done or reward is not one
    scalar (boolean/integer, number) at its bound count."""
    env = GameEnv(game)

    def reset_args(key: jax.Array) -> dict[str, Any]:
        features = compute_features(env.game, env.reset(key)[1])
        return skill_arguments(features, features)

    args = jax.eval_shape(reset_args, jax.random.PRNGKey(0))
    names = getattr(plan, "names", ())
    counts = getattr(plan, "counts", ())
    problems = []
    for k in range(plan.num_tasks):
        step = f"plan step {k}" + (f" ({names[k]}, n={counts[k]})" if k < len(names) else "")
        for what, fn, kinds in (
            ("task_is_done", plan.is_done[k], "bui"),
            ("task_reward", plan.reward[k], "buif"),
        ):
            try:
                out = jax.eval_shape(lambda a, fn=fn: call_with_features(fn, a), args)
            except Exception as err:  # the code itself fails at this step's count
                problems.append(f"{step}: `{what}` fails: {type(err).__name__}: {err}.")
                continue
            shape, dtype = getattr(out, "shape", None), getattr(out, "dtype", None)
            if shape != () or dtype is None or dtype.kind not in kinds:
                kind = "boolean" if kinds == "bui" else "number"
                problems.append(
                    f"{step}: `{what}` must return one {kind} scalar per state, got shape "
                    f"{shape} of {dtype}; fix the skill's code."
                )
    if problems:
        raise SkillCodeError(problems)
