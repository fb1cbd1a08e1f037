"""Lines meant for the person running the pipeline, not only for a stage's log: a retry of a
transient error, a repair round. :func:`announce` prints the line on stderr (the stage's log)
and, when ``$FLOWRL_CONSOLE_FILE`` names a file (the workflow sets it for its jobs, see
``flowrl/pipeline/console_relay.py``), appends it there too, so the run's main process prints it
on the console once."""

from __future__ import annotations

import os
import sys

CONSOLE_ENV = "FLOWRL_CONSOLE_FILE"


def announce(line: str) -> None:
    """Print ``line`` on stderr and relay it to the run's console when there is one."""
    print(line, file=sys.stderr, flush=True)
    path = os.environ.get(CONSOLE_ENV)
    if not path:
        return
    data = (line.replace("\n", " ") + "\n").encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError:
        return  # the console is a convenience; the log has the line
    try:
        os.write(fd, data)  # one small O_APPEND write: lines never interleave
    finally:
        os.close(fd)
