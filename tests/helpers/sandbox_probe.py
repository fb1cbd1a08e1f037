"""Run inside a sandbox by tests/skills/test_sandbox.py: confine, then try what hostile code would.

Reads {"outside_dir", "secret_file", "checkout_file", "port", "read_roots"} on stdin and prints one JSON
object saying what worked. Not skill code: it is trusted test code that checks the OS
layer on its own, as if the static check had missed something.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from pathlib import Path

from flowrl.skills.sandbox import confine


def attempt(action) -> str:
    try:
        action()
    except OSError as err:
        return f"refused: {type(err).__name__}"
    return "done"


def main() -> None:
    request = json.loads(sys.stdin.read())
    isolation = confine(Path.cwd(), read_roots=request["read_roots"])
    outside = Path(request["outside_dir"])

    def connect() -> None:
        with socket.create_connection(("127.0.0.1", request["port"]), timeout=2):
            pass

    report = {
        "isolation": isolation,
        "secret_env": {k: v for k, v in os.environ.items() if "CANARY" in k},
        "cwd_is_fresh": sorted(os.listdir(".")) == [],
        "write_inside": attempt(lambda: Path("inside.txt").write_text("ok")),
        "write_outside": attempt(lambda: (outside / "pwned.txt").write_text("pwned")),
        "mkdir_outside": attempt(lambda: (outside / "pwned_dir").mkdir()),
        "read_secret_file": attempt(lambda: Path(request["secret_file"]).read_text()),
        "read_checkout_file": attempt(lambda: Path(request["checkout_file"]).read_text()),
        "read_parent_environ": attempt(lambda: Path(f"/proc/{os.getppid()}/environ").read_bytes()),
        "big_write": attempt(lambda: Path("big.bin").write_bytes(b"x" * (4 << 20))),
        "connect_loopback": attempt(connect),
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
