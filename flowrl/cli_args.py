"""The flags that several ``flowrl`` commands take, defined once.

``flowrl slot <stage>`` (what the workflow rules call), the standalone steps (``flowrl
train|evaluate|validate|plan``), ``flowrl baseline`` and the seed-compatible drivers add
these flags through the functions below, so one flag has one meaning and one spelling
everywhere. The spelling is with dashes (``--num-episodes``); the underscore spelling
(``--num_episodes``, the seed project's and older docs') is kept as an alias, as are the
``--no-`` forms of on/off flags in both styles (``--no-use_wandb``, ``--no_gif``).
Standard library only: the light commands never import JAX through here.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

DEFAULT_ENV = "Craftax-Classic-Symbolic-v1"


def spellings(name: str, *aliases: str) -> list[str]:
    """``--a-b`` first, then ``--a_b`` when the name has an underscore, then ``aliases``."""
    dashed = f"--{name.replace('_', '-')}"
    underscored = f"--{name.replace('-', '_')}"
    return list(dict.fromkeys([dashed, underscored, *aliases]))


class Toggle(argparse.Action):
    """An on/off flag: its positive spellings set True, its ``--no-`` / ``--no_`` ones False."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.pop("nargs", None)
        super().__init__(option_strings, dest, nargs=0, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        negative = (option_string or "").startswith(("--no-", "--no_"))
        setattr(namespace, self.dest, not negative)

    def format_usage(self) -> str:
        negative = next(s for s in self.option_strings if s.startswith(("--no-", "--no_")))
        return f"{self.option_strings[0]} | {negative}"


def add_toggle(
    p: argparse.ArgumentParser, name: str, default: bool | None, help: str
) -> argparse.Action:
    """``--name`` / ``--no-name`` (each also with underscores); ``default`` None = unset."""
    positive = spellings(name)
    stem = name.replace("_", "-")
    negative = list(
        dict.fromkeys([f"--no-{stem}", f"--no-{name.replace('-', '_')}", f"--no_{name}"])
    )
    return p.add_argument(
        *positive, *negative, dest=name.replace("-", "_"), action=Toggle, default=default, help=help
    )


def add_env(
    p: argparse.ArgumentParser, *, required: bool = True, default: str | None = None
) -> None:
    """``--env`` (aliases ``--env-name``, ``--env_name``): the game, in ``args.env``."""
    p.add_argument(
        "--env",
        *spellings("env_name"),
        dest="env",
        required=required,
        default=None if required else (default or DEFAULT_ENV),
        help="the game, e.g. Craftax-Classic-Symbolic-v1",
    )


def add_llm_name(p: argparse.ArgumentParser, *, required: bool = True) -> None:
    p.add_argument(
        *spellings("llm_name"),
        dest="llm_name",
        required=required,
        default=None,
        help="model: offline, an OpenAI model, or one your llm_api serves",
    )


def add_seed(p: argparse.ArgumentParser, default: int | None = 0, help: str = "seed") -> None:
    p.add_argument("--seed", type=int, default=default, help=help)


def add_profile(p: argparse.ArgumentParser, default: str | None = "cpu") -> None:
    p.add_argument(
        "--profile", default=default, choices=("cpu", "gpu"), help="trainer profile: cpu or gpu"
    )


def add_total_timesteps(p: argparse.ArgumentParser, help: str = "frame budget") -> None:
    p.add_argument(*spellings("total_timesteps"), type=float, default=None, help=help)


def add_use_wandb(p: argparse.ArgumentParser, default: bool | None = False) -> None:
    add_toggle(p, "use_wandb", default, "log to Weights & Biases (offline unless configured)")


def add_num_episodes(
    p: argparse.ArgumentParser, default: int = 64, help: str = "evaluation episodes per policy"
) -> None:
    """``--num-episodes`` (the config key ``evaluate.num_episodes``); ``--episodes`` is the
    spelling the slot stages had."""
    p.add_argument(*spellings("num_episodes", "--episodes"), type=int, default=default, help=help)


def add_max_episode_steps(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        *spellings("max_episode_steps"), type=int, default=None, help="episode step limit"
    )


def add_gif(p: argparse.ArgumentParser) -> None:
    add_toggle(p, "gif", True, "write rollout.gif of a successful episode")
