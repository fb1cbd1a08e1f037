"""Validate untrusted skill code: AST allowlist, then runtime checks in a sandbox.

The sandbox is a separate Python process with a wall-clock timeout, started in a fresh
temporary directory with a scrubbed environment (no API keys), which confines itself
before it reads any skill code (:mod:`flowrl.skills.sandbox`: resource limits, no network,
Landlock writes only in its directory). It compiles, jits and vmaps the skill functions on
real game states and checks shapes, dtypes, finiteness and that the task is not already
done at reset.
"""

from __future__ import annotations

import contextlib
import json
import os
import selectors
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from flowrl.envs.games import GameSpec
from flowrl.skills.ast_check import check_source
from flowrl.skills.samples import SHIPPED, cache_dir, load_or_collect
from flowrl.skills.sandbox import child_environment, launch_command

DEFAULT_TIMEOUT_S = 120.0
DEFAULT_MEMORY_GB = 4.0
SANDBOX_STARTUP_S = 90.0
WATCHDOG_GRACE_S = 1.0
"""The watchdog kills a sandbox this long after a skill's own limit (its alarm fires first
when Python is running; the watchdog catches C code no alarm interrupts)."""
SANDBOX_PREFIX = "flowrl-sandbox-"


@dataclass
class ValidationResult:
    """Outcome of validating one skill: ``ok`` when ``reasons`` is empty."""

    ok: bool
    reasons: list[str] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    stage: str = "runtime"  # "ast" or "runtime": where it stopped

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def feedback(self) -> str:
        """The reasons as a bullet list, ready to send back to an LLM."""
        return "\n".join(f"- {r}" for r in self.reasons)


def validate_source(
    source: str,
    game: GameSpec,
    n: int = 1,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_gb: float = DEFAULT_MEMORY_GB,
    seed: int = 0,
) -> ValidationResult:
    """Validate skill ``source`` for ``game`` with target count ``n``."""
    return validate_many([source], game, n, timeout_s, memory_gb, seed)[0]


def validate_many(
    sources: list[str],
    game: GameSpec,
    n: int | list[int] = 1,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_gb: float = DEFAULT_MEMORY_GB,
    seed: int = 0,
) -> list[ValidationResult]:
    """Validate several skills with one sandbox process (``timeout_s`` is per skill).

    Saves the sandbox start-up (importing JAX) per skill, which dominates a check. If the
    shared sandbox dies or times out, the failure is attributed to the skill it was
    checking and the skills after it are checked in a fresh sandbox.
    """
    counts = [n] * len(sources) if isinstance(n, int) else list(n)
    if len(counts) != len(sources):
        raise ValueError("give one n per source")
    results: list[ValidationResult | None] = [None] * len(sources)
    pending: list[int] = []
    for i, source in enumerate(sources):
        reasons = check_source(source, game)
        if reasons:
            results[i] = ValidationResult(ok=False, reasons=reasons, stage="ast")
        else:
            pending.append(i)
    if pending:
        load_or_collect(game, seed)  # trusted: warm the state cache outside the sandbox
        items = [{"source": sources[i], "n": counts[i]} for i in pending]
        for j, result in enumerate(_run_batches(items, game, seed, timeout_s, memory_gb)):
            results[pending[j]] = result
    return [r for r in results if r is not None]


def _run_batches(
    items: list[dict[str, Any]], game: GameSpec, seed: int, per_skill_s: float, memory_gb: float
) -> list[ValidationResult]:
    """Runtime results for every item, in as few sandboxes as crashes allow.

    A sandbox that dies (a skill past its time, out of memory, a crash) is blamed on the
    skill it had started; the skills after it go to a fresh sandbox. Every round settles at
    least one skill, so this ends after at most one round per skill.
    """
    results: dict[int, ValidationResult] = {}
    remaining = list(range(len(items)))
    landlock = True
    while remaining:
        done, died_on, reason = _run_sandbox(
            [items[j] for j in remaining], game, seed, per_skill_s, memory_gb, landlock
        )
        for k, result in done.items():
            results[remaining[k]] = result
        if died_on is None and not done and landlock:
            # It died before any skill code ran: the platform may need reads Landlock does
            # not grant. Retry without that layer (recorded in stats.isolation).
            warnings.warn(
                f"validation sandbox failed to start under Landlock: {reason}", stacklevel=2
            )
            landlock = False
            continue
        if died_on is None and not done:  # died before any skill: same reason for all
            for j in remaining:
                results[j] = ValidationResult(ok=False, reasons=[reason])
            break
        if died_on is not None:
            results[remaining[died_on]] = ValidationResult(ok=False, reasons=[reason])
        remaining = [j for k, j in enumerate(remaining) if k not in done and k != died_on]
    return [results[j] for j in range(len(items))]


def _run_sandbox(
    items: list[dict[str, Any]],
    game: GameSpec,
    seed: int,
    per_skill_s: float,
    memory_gb: float,
    landlock: bool = True,
    module: str = "flowrl.skills.runtime_check",
) -> tuple[dict[int, ValidationResult], int | None, str]:
    """Runtime-check ``items`` in one confined subprocess.

    Returns the results it finished (by position), the position of the skill it died on
    (None if none) and the reason it died.
    """
    samples = cache_dir()
    request = {
        "skills": items,
        "env_name": game.env_name,  # the sandbox resolves the name again
        "seed": seed,
        "memory_gb": memory_gb,
        # CPU time counts every XLA thread: a backstop well above the wall limits.
        "cpu_s": 2 * (per_skill_s * len(items) + SANDBOX_STARTUP_S),
        "per_skill_s": per_skill_s,
        "read_roots": [str(samples), str(SHIPPED)],
        "landlock": landlock,
    }
    request["parent_pid"] = os.getpid()
    remove_stale_sandboxes()
    with tempfile.TemporaryDirectory(prefix=f"{SANDBOX_PREFIX}{os.getpid()}-") as workdir:
        proc = subprocess.Popen(
            launch_command(module),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=workdir,
            env=child_environment(workdir, {"FLOWRL_CACHE_DIR": str(samples.parent)}),
            start_new_session=True,
        )
        try:
            with _sigterm_as_exit():
                records, stderr, code = _watch(proc, json.dumps(request), per_skill_s)
        finally:  # also on KeyboardInterrupt / SystemExit: never leave a sandbox running
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    done: dict[int, ValidationResult] = {}
    started: int | None = None
    for record in records:
        if record.get("started"):
            started = record["index"]
        else:
            done[record["index"]] = _from_json(record)
    died_on = started if started is not None and started not in done else None
    if code is None or code in (-signal.SIGXCPU, 128 + signal.SIGXCPU):
        reason = (
            f"Checking the code took longer than {per_skill_s:.0f} s; avoid large Python loops "
            "and keep the functions small."
        )
    elif code in (-9, 137) or "MemoryError" in stderr:
        reason = (
            f"The code was killed by the sandbox limits ({memory_gb:g} GB memory, "
            f"{per_skill_s:.0f} s per skill); make it smaller."
        )
    else:
        tail = stderr.strip().splitlines()[-1:] or ["no output"]
        reason = f"The sandbox process failed (exit {code}): {tail[0]}."
    return done, died_on, reason


@contextlib.contextmanager
def _sigterm_as_exit() -> Iterator[None]:
    """While a sandbox runs, SIGTERM (a job scheduler's stop) exits through ``finally``
    blocks, so the sandbox is killed and its folder removed (main thread, default
    handler only)."""

    def stop(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    main = threading.current_thread() is threading.main_thread()
    if not main or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return
    signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def remove_stale_sandboxes(root: str | Path | None = None) -> list[Path]:
    """Delete sandbox folders whose validating process no longer exists.

    A validator killed outright (SIGKILL) cannot clean up; its sandbox dies with it (the
    kernel's parent-death signal) and the folder, named after the validator's pid, is
    removed by the next validation. Returns what was removed.
    """
    removed = []
    for path in Path(root or tempfile.gettempdir()).glob(f"{SANDBOX_PREFIX}*-*"):
        owner = path.name[len(SANDBOX_PREFIX) :].split("-", 1)[0]
        if not owner.isdigit() or _alive(int(owner)) or not path.is_dir():
            continue
        with contextlib.suppress(OSError):
            if path.stat().st_uid == os.getuid():
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _watch(
    proc: subprocess.Popen[bytes], request: str, per_skill_s: float
) -> tuple[list[dict[str, Any]], str, int | None]:
    """Feed ``request``, collect the JSON records, and enforce the wall-clock limits.

    The sandbox's own alarm ends a skill whose Python runs too long; this watchdog also
    ends one stuck in C code (XLA compiling or running) where no alarm can interrupt it:
    start-up gets ``SANDBOX_STARTUP_S``, each skill ``per_skill_s`` plus a grace period.
    Returns (records, stderr, exit code or None when it was killed for time).
    """
    assert proc.stdin and proc.stdout and proc.stderr
    errors: list[bytes] = []
    drain = threading.Thread(target=lambda: errors.append(proc.stderr.read()), daemon=True)  # type: ignore[union-attr]  # Popen(stderr=PIPE) sets proc.stderr
    drain.start()
    try:
        proc.stdin.write(request.encode())
        proc.stdin.close()
    except BrokenPipeError:
        pass  # it died at once; its exit code and stderr say why
    records: list[dict[str, Any]] = []
    buffer = b""
    deadline = time.monotonic() + SANDBOX_STARTUP_S
    killed = False
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                os.killpg(proc.pid, signal.SIGKILL)
                killed = True
                break
            if not selector.select(timeout=min(left, 1.0)):
                continue
            chunk = os.read(proc.stdout.fileno(), 1 << 16)
            if not chunk:
                break  # end of output: the sandbox exited
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for line in lines:
                if line.startswith(b"{"):
                    records.append(json.loads(line))
                    # A started skill has its limit (plus time for its own alarm to fire
                    # first); after a result the next start follows at once.
                    deadline = time.monotonic() + per_skill_s + WATCHDOG_GRACE_S
    code = proc.wait()
    drain.join(timeout=10)
    stderr = b"".join(errors).decode(errors="replace")
    return records, stderr, None if killed else code


def _from_json(result: dict[str, Any]) -> ValidationResult:
    return ValidationResult(
        ok=not result["reasons"], reasons=result["reasons"], stats=result["stats"]
    )


def validate_file(path: str | Path, game: GameSpec, **kwargs: Any) -> ValidationResult:
    """Validate the skill module at ``path`` (see :func:`validate_source`)."""
    return validate_source(Path(path).read_text(), game, **kwargs)
