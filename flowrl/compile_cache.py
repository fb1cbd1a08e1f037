"""Persistent XLA compilation cache shared by every flowrl process.

Craftax programs take tens of seconds to compile on a CPU; the pipeline starts many
processes (validation sandboxes, one `flowrl train` per skill) that compile the same
programs. Caching compilations on disk makes every process after the first start fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DISABLED = {"", "0", "off", "none", "false"}


def default_cache_dir() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "flowrl" / "jax"


def enable_compilation_cache(path: str | Path | None = None) -> Path | None:
    """Point JAX's persistent compilation cache at ``path``.

    Resolution: an explicit ``path``; else an existing ``JAX_COMPILATION_CACHE_DIR``; else
    ``FLOWRL_JAX_CACHE`` ("off" disables); else ``~/.cache/flowrl/jax``. Returns the
    directory in use, or None when disabled.
    """
    if path is None:
        if os.environ.get("JAX_COMPILATION_CACHE_DIR"):
            return Path(os.environ["JAX_COMPILATION_CACHE_DIR"])
        setting = os.environ.get("FLOWRL_JAX_CACHE")
        if setting is not None and setting.strip().lower() in DISABLED:
            return None
        path = setting or default_cache_dir()
    directory = Path(path).expanduser()
    directory.mkdir(parents=True, exist_ok=True)
    os.environ["JAX_COMPILATION_CACHE_DIR"] = str(directory)  # children inherit it
    if "jax" in sys.modules:  # already imported: set the live config too
        import jax

        jax.config.update("jax_compilation_cache_dir", str(directory))
    return directory
