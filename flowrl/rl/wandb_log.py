"""Optional Weights & Biases logging: never prompts, never blocks, offline unless configured.

Without ``WANDB_API_KEY`` (or an explicit ``WANDB_MODE``) runs are offline: everything goes
to a local run folder (``wandb sync`` uploads it later). A run that cannot start (no login
in online mode, no network) prints a warning and the work goes on without W&B.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

INIT_TIMEOUT_S = 30  # an online init that cannot reach the server gives up after this


class WandbLogger:
    """Thin wrapper around one W&B run; every call is a no-op once the run failed to start."""

    def __init__(self, out_dir: Path, config: dict[str, Any], name: str) -> None:
        try:
            import wandb
        except ImportError as err:  # pragma: no cover - depends on the optional extra
            raise RuntimeError(
                "use_wandb needs the optional extra: pip install 'flowrl[wandb]'"
            ) from err
        if "WANDB_MODE" not in os.environ and "WANDB_API_KEY" not in os.environ:
            os.environ["WANDB_MODE"] = "offline"
        os.environ.setdefault("WANDB_SILENT", "true")
        os.environ.setdefault("WANDB_CONSOLE", "off")
        self._wandb = wandb
        self._run = None
        folder = Path(os.environ.get("WANDB_DIR") or out_dir)  # WANDB_DIR wins when set
        folder.mkdir(parents=True, exist_ok=True)
        try:
            self._run = wandb.init(
                project=os.environ.get("WANDB_PROJECT", "flowrl"),
                name=name,
                dir=str(folder),
                config=config,
                settings=wandb.Settings(init_timeout=INIT_TIMEOUT_S, silent=True),
            )
        except Exception as exc:  # a login or network problem must never fail the run
            print(
                f"flowrl: W&B disabled for this run ({type(exc).__name__}: {exc})", file=sys.stderr
            )

    @property
    def run_dir(self) -> Path | None:
        """The local run folder (``.../wandb/offline-run-*``), None when W&B is off."""
        return None if self._run is None else Path(self._run.dir).parent

    def log(self, row: dict[str, Any], step: int) -> None:
        if self._run is not None:
            self._run.log(row, step=step)

    def log_table(self, key: str, columns: list[str], data: list[list[Any]]) -> None:
        if self._run is not None:
            self._run.log({key: self._wandb.Table(columns=columns, data=data)})

    def finish(self) -> None:
        if self._run is not None:
            self._run.finish()
