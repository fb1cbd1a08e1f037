"""Retry and repair lines of a job reach the run's console once (the relay the Snakefile
starts in onstart), besides the job's own log."""

from __future__ import annotations

import os
import subprocess
import sys

from flowrl.llm.console import CONSOLE_ENV
from flowrl.pipeline.console_relay import start_console_relay, stop_console_relay
from tests.helpers.pipeline_helpers import REPO

LINE = "[llm] gpt-5 (propose): attempt 1/5 failed: 429: Rate limit reached; retrying in 1.0 s"


def test_a_jobs_announced_line_reaches_the_console_once(tmp_path, capfd):
    start_console_relay(tmp_path)
    path = os.environ[CONSOLE_ENV]
    try:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        code = f"from flowrl.llm.console import announce; announce({LINE!r})"
        job = subprocess.run(  # a job: its stderr is its log
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        )
    finally:
        stop_console_relay()
    assert LINE in job.stderr  # the log has it
    assert capfd.readouterr().err.count(LINE) == 1  # and the console, once
    assert not os.path.exists(path) and CONSOLE_ENV not in os.environ
