"""Stale Snakemake locks: a recorded run that was SIGKILLed has its locks lifted; a live
run's locks, and lock files that are not the ones it wrote, are never touched."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from flowrl.pipeline.run_lock import RECORDS, clear_stale_locks

RUN = """
import sys, time
from pathlib import Path
from flowrl.pipeline.run_lock import record_run
root = Path(sys.argv[1])
locks = root / ".snakemake" / "locks"
locks.mkdir(parents=True, exist_ok=True)
for name in ("0.input.lock", "0.output.lock"):
    (locks / name).write_text("results/x\\n")
record_run(root, [".snakemake/locks/0.input.lock", ".snakemake/locks/0.output.lock"])
print("locked", flush=True)
time.sleep(120)
"""


def test_live_run_keeps_its_locks_and_a_killed_one_loses_them(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        locks = tmp_path / ".snakemake" / "locks"
        notes: list[str] = []
        assert clear_stale_locks(tmp_path, notes.append) == [] and notes == []
        assert sorted(p.name for p in locks.iterdir()) == ["0.input.lock", "0.output.lock"]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    # another run took 0.output.lock meanwhile (a new file): it is not the killed run's lock
    (locks / "0.output.lock").unlink()
    time.sleep(0.01)
    (locks / "0.output.lock").write_text("results/y\n")
    removed = clear_stale_locks(tmp_path, notes.append)
    assert [Path(p).name for p in removed] == ["0.input.lock"]
    assert (locks / "0.output.lock").exists() and not (locks / "0.input.lock").exists()
    assert len(notes) == 1 and f"run {proc.pid}, which is no longer running" in notes[0]
    assert list((tmp_path / RECORDS).iterdir()) == []  # the record went with the run


def test_a_run_recorded_on_another_host_is_reported_not_unlocked(tmp_path: Path) -> None:
    """On a shared filesystem a pid from another machine cannot be checked: never unlock."""
    lock = tmp_path / ".snakemake" / "locks" / "0.input.lock"
    lock.parent.mkdir(parents=True)
    lock.write_text("results/x\n")
    st = lock.stat()
    (tmp_path / RECORDS).mkdir(parents=True)
    record = {
        "pid": 2**22 + 7,  # no such process here
        "host": "login-node-b",
        "start": "1",
        "locks": [{"path": str(lock), "inode": st.st_ino, "mtime_ns": st.st_mtime_ns}],
    }
    (tmp_path / RECORDS / "x.json").write_text(json.dumps(record))
    notes: list[str] = []
    assert clear_stale_locks(tmp_path, notes.append) == []
    assert lock.exists() and "host login-node-b" in notes[0] and "--unlock" in notes[0]
    lock.unlink()  # the user ran --unlock: the record protects nothing and goes quietly
    notes.clear()
    assert clear_stale_locks(tmp_path, notes.append) == [] and notes == []
    assert list((tmp_path / RECORDS).iterdir()) == []
