"""A stand-in sandbox that announces a skill and then hangs where no alarm reaches it.

Used by tests/skills/test_validator.py to check the validator's watchdog (C code stuck in XLA
behaves the same way: signals are not handled until it returns).
"""

from __future__ import annotations

import json
import signal
import sys
import time

from flowrl.skills.sandbox import die_with_parent


def main() -> None:
    request = json.loads(sys.stdin.read())
    die_with_parent(request.get("parent_pid"))  # as the real sandbox does
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGTERM})
    sys.stdout.write('\n{"index": 0, "started": true}\n')
    sys.stdout.flush()
    time.sleep(600)


if __name__ == "__main__":
    main()
