"""Relay the jobs' console lines (retries, repair rounds: :func:`flowrl.llm.console.announce`)
to the console of the Snakemake process that runs them. Jobs write their output into their
logs, so the main process, from ``onstart`` to ``onsuccess``/``onerror``, tails one file
(``.snakemake/flowrl_runs/<pid>.console``, named to the jobs by ``$FLOWRL_CONSOLE_FILE``) and
prints each new line once on stderr."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from flowrl.llm.console import CONSOLE_ENV
from flowrl.pipeline.run_lock import RECORDS


class ConsoleRelay:
    """A daemon thread printing the lines appended to ``path``."""

    def __init__(self, path: Path, every_s: float = 0.5) -> None:
        self.path = path
        self.every_s = every_s
        self._offset = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> ConsoleRelay:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text("")
        os.environ[CONSOLE_ENV] = str(self.path)
        self._thread.start()
        return self

    def _drain(self) -> None:
        try:
            with self.path.open("rb") as f:
                f.seek(self._offset)
                data = f.read()
        except OSError:
            return
        end = data.rfind(b"\n") + 1  # whole lines only; a partial one waits
        if end:
            self._offset += end
            sys.stderr.write(data[:end].decode(errors="replace"))
            sys.stderr.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self._drain()

    def stop(self) -> None:
        """Print what is left, then remove the file."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        self._drain()
        self.path.unlink(missing_ok=True)
        os.environ.pop(CONSOLE_ENV, None)


_RELAY: ConsoleRelay | None = None


def start_console_relay(workdir: str | os.PathLike[str]) -> None:
    """Start relaying for this run (the Snakefile's ``onstart``)."""
    global _RELAY
    stop_console_relay()
    _RELAY = ConsoleRelay(Path(workdir).resolve() / RECORDS / f"{os.getpid()}.console").start()


def stop_console_relay() -> None:
    """Print the last lines and stop (``onsuccess`` / ``onerror``); harmless when not started."""
    global _RELAY
    if _RELAY is not None:
        _RELAY.stop()
        _RELAY = None
