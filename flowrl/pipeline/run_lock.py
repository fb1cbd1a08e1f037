"""Resume after a hard kill: find Snakemake locks left by a run that is gone, and lift them.

Snakemake locks its working directory (``.snakemake/locks/N.{input,output}.lock``) for a run
and removes the locks when the run ends; a run killed with SIGKILL leaves them, and every
later run then stops with ``LockException`` until ``snakemake --unlock``. flowrl records, when
a run starts (the Snakefile's ``onstart``), its pid, the process's start time and the lock
files it holds (``.snakemake/flowrl_runs/<pid>.json``). When the Snakefile is read again (any
later ``snakemake`` or driver run, before Snakemake checks its locks), each record whose
process is gone has its lock files removed, with a printed note. A lock file is removed only
when it is the very file that run wrote (same inode and modification time), and never while
the process that wrote it is alive, so a live run is never unlocked; a run recorded by another
host (a shared filesystem) is only reported, as its pid cannot be checked from here. Locks without a record
(a run killed in the second between locking and ``onstart``) are left for ``--unlock``.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

RECORDS = Path(".snakemake") / "flowrl_runs"


def process_start(pid: int) -> str | None:
    """The start time of process ``pid`` in clock ticks since boot (Linux ``/proc``), else None."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]  # field 22; the name in (...) may hold spaces


def is_alive(pid: int, start: str | None) -> bool:
    """Whether the process that wrote a record still runs (a reused pid does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    now = process_start(pid)
    return start is None or now is None or now == start


def _identity(path: Path) -> dict[str, Any] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return {"path": str(path), "inode": st.st_ino, "mtime_ns": st.st_mtime_ns}


def record_run(workdir: str | os.PathLike[str], lock_files: Iterable[str]) -> Path:
    """Write this process's record: pid, start time and the lock files it holds."""
    root = Path(workdir).resolve()
    folder = root / RECORDS
    folder.mkdir(parents=True, exist_ok=True)
    pid = os.getpid()
    locks = [i for f in lock_files if (i := _identity(root / f)) is not None]
    record = {"pid": pid, "host": socket.gethostname(), "start": process_start(pid), "locks": locks}
    path = folder / f"{pid}.json"
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(record))
    os.replace(tmp, path)
    return path


def forget_run(workdir: str | os.PathLike[str]) -> None:
    """Remove this process's record (the run ended and Snakemake removed its locks)."""
    (Path(workdir) / RECORDS / f"{os.getpid()}.json").unlink(missing_ok=True)


def clear_stale_locks(
    workdir: str | os.PathLike[str], report: Callable[[str], None] = print
) -> list[str]:
    """Remove the lock files of recorded runs whose process is gone; return their paths."""
    folder = Path(workdir) / RECORDS
    removed: list[str] = []
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            record = json.loads(path.read_text())
            pid = int(record["pid"])
        except (OSError, ValueError, KeyError, TypeError):
            path.unlink(missing_ok=True)  # unreadable record: it protects nothing
            continue
        held = [lock for lock in record.get("locks") or [] if _identity(Path(lock["path"])) == lock]
        host = record.get("host")
        if host and host != socket.gethostname() and not held:
            path.unlink(missing_ok=True)  # its locks are gone (the run ended or was unlocked)
            continue
        if host and host != socket.gethostname():
            # another machine on a shared filesystem: its pids cannot be checked from here
            report(
                f"flowrl: a run on host {host} (pid {pid}) holds the Snakemake lock; if it is "
                "no longer running, run `snakemake --unlock` once with the same arguments."
            )
            continue
        if pid == os.getpid() or is_alive(pid, record.get("start")):
            continue
        mine = []
        for lock in held:
            Path(lock["path"]).unlink(missing_ok=True)
            mine.append(str(lock["path"]))
        if mine:
            report(
                f"flowrl: removed the Snakemake lock of run {pid}, which is no longer running "
                f"(killed?): {', '.join(mine)}. Resuming; --rerun-incomplete redoes its "
                "unfinished jobs."
            )
        removed += mine
        path.unlink(missing_ok=True)
    return removed
