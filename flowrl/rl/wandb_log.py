"""Optional Weights & Biases logging: never prompts, offline unless configured."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


class WandbLogger:
    """Thin wrapper; offline mode unless WANDB_MODE or WANDB_API_KEY says otherwise."""

    def __init__(self, out_dir: Path, config: dict[str, Any], name: str) -> None:
        try:
            import wandb
        except ImportError as err:  # pragma: no cover - depends on the optional extra
            raise RuntimeError(
                "--use_wandb needs the optional extra: pip install 'flowrl[wandb]'"
            ) from err
        if "WANDB_MODE" not in os.environ and "WANDB_API_KEY" not in os.environ:
            os.environ["WANDB_MODE"] = "offline"
        os.environ.setdefault("WANDB_SILENT", "true")
        os.environ.setdefault("WANDB_CONSOLE", "off")
        self._run = wandb.init(
            project=os.environ.get("WANDB_PROJECT", "flowrl"),
            name=name,
            dir=str(out_dir),
            config=config,
            settings=wandb.Settings(start_method="thread"),
        )

    def log(self, row: dict[str, Any], step: int) -> None:
        self._run.log(row, step=step)

    def finish(self) -> None:
        self._run.finish()
