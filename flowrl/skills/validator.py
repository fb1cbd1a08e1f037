"""Validate untrusted skill code: AST allowlist, then runtime checks in a sandbox.

The sandbox is a separate Python process with a wall-clock timeout, CPU and memory
limits, an empty working directory and a scrubbed environment (no API keys). It
compiles, jits and vmaps the skill functions on real game states and checks shapes,
dtypes, finiteness and that the task is not already done at reset.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from flowrl.skills.ast_check import check_source
from flowrl.skills.contract import signature_for

DEFAULT_TIMEOUT_S = 120.0
DEFAULT_MEMORY_GB = 4.0
SANDBOX_STARTUP_S = 60.0
_ENV_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "JAX_PLATFORMS", "FLOWRL_CACHE_DIR", "TMPDIR")


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
    env_name: str,
    n: int = 1,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_gb: float = DEFAULT_MEMORY_GB,
    seed: int = 0,
) -> ValidationResult:
    """Validate skill ``source`` for ``env_name`` with target count ``n``."""
    return validate_many([source], env_name, n, timeout_s, memory_gb, seed)[0]


def validate_many(
    sources: list[str],
    env_name: str,
    n: int | list[int] = 1,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    memory_gb: float = DEFAULT_MEMORY_GB,
    seed: int = 0,
) -> list[ValidationResult]:
    """Validate several skills with one sandbox process (``timeout_s`` is per skill).

    Saves the sandbox start-up (importing JAX) per skill, which dominates a check. If the
    shared sandbox dies or times out, the skills it did not finish are re-checked one
    sandbox each, so a failure is always attributed to the skill that caused it.
    """
    counts = [n] * len(sources) if isinstance(n, int) else list(n)
    if len(counts) != len(sources):
        raise ValueError("give one n per source")
    signature = signature_for(env_name)
    results: list[ValidationResult | None] = [None] * len(sources)
    pending: list[int] = []
    for i, source in enumerate(sources):
        reasons = check_source(source, signature)
        if reasons:
            results[i] = ValidationResult(ok=False, reasons=reasons, stage="ast")
        else:
            pending.append(i)
    if pending:
        from flowrl.skills.samples import load_or_collect

        load_or_collect(env_name, seed)  # trusted: warm the state cache outside the sandbox
        items = [{"source": sources[i], "n": counts[i]} for i in pending]
        done = _run_sandbox(items, env_name, seed, timeout_s, memory_gb)
        for i, result in zip(pending, done, strict=False):
            results[i] = result
        # A batch that died leaves its unfinished skills: check each alone, so the failure
        # is attributed (a lone skill always gets a result, if only the reason it died).
        for j in range(len(done), len(pending)):
            results[pending[j]] = _run_sandbox([items[j]], env_name, seed, timeout_s, memory_gb)[0]
    return [r for r in results if r is not None]


def _run_sandbox(
    items: list[dict[str, Any]],
    env_name: str,
    seed: int,
    per_skill_s: float,
    memory_gb: float,
) -> list[ValidationResult]:
    """Runtime-check ``items`` in one limited subprocess; results for those it finished.

    A lone item that crashes or times out gets a result saying so.
    """
    # Each skill gets ``per_skill_s`` of wall time (an alarm inside the sandbox); start-up
    # (importing JAX, loading samples) is not charged to it. The process-wide wall and CPU
    # limits are backstops: CPU time counts every XLA thread, so it gets twice the wall.
    timeout_s = per_skill_s * len(items) + SANDBOX_STARTUP_S
    env = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
    env["JAX_PLATFORMS"] = env.get("JAX_PLATFORMS", "cpu")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    request = json.dumps(
        {
            "skills": items,
            "env_name": env_name,
            "seed": seed,
            "memory_gb": memory_gb,
            "cpu_s": 2 * timeout_s,
            "per_skill_s": per_skill_s,
        }
    )
    with tempfile.TemporaryDirectory(prefix="flowrl-sandbox-") as workdir:
        try:
            proc = subprocess.run(
                [sys.executable, "-I", "-m", "flowrl.skills.runtime_check"],
                input=request,
                capture_output=True,
                text=True,
                timeout=timeout_s,
                cwd=workdir,
                env=env,
                start_new_session=True,
            )
            stdout, stderr, code = proc.stdout, proc.stderr, proc.returncode
        except subprocess.TimeoutExpired as err:
            stdout = err.stdout.decode() if isinstance(err.stdout, bytes) else (err.stdout or "")
            stderr, code = "", None
    results = [_from_json(json.loads(line)) for line in stdout.splitlines() if line.startswith("{")]
    if len(results) == len(items) or len(items) > 1:
        return results
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
    return [ValidationResult(ok=False, reasons=[reason])]


def _from_json(result: dict[str, Any]) -> ValidationResult:
    return ValidationResult(
        ok=not result["reasons"], reasons=result["reasons"], stats=result["stats"]
    )


def validate_file(path: str | Path, env_name: str, **kwargs: Any) -> ValidationResult:
    """Validate the skill module at ``path`` (see :func:`validate_source`)."""
    return validate_source(Path(path).read_text(), env_name, **kwargs)
