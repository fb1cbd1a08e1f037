"""Validate untrusted skill code: AST allowlist, then runtime checks in a sandbox.

The sandbox is a separate Python process with a wall-clock timeout, CPU and memory
limits, an empty working directory and a scrubbed environment (no API keys). It
compiles, jits and vmaps the skill functions on real game states and checks shapes,
dtypes, finiteness and that the task is not already done at reset.
"""

from __future__ import annotations

import json
import os
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
    reasons = check_source(source, signature_for(env_name))
    if reasons:
        return ValidationResult(ok=False, reasons=reasons, stage="ast")
    from flowrl.skills.samples import load_or_collect

    load_or_collect(env_name, seed)  # trusted: warm the state cache outside the sandbox
    env = {k: os.environ[k] for k in _ENV_KEEP if k in os.environ}
    env["JAX_PLATFORMS"] = env.get("JAX_PLATFORMS", "cpu")
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    env["XLA_FLAGS"] = "--xla_force_host_platform_device_count=1"
    request = json.dumps(
        {
            "source": source,
            "env_name": env_name,
            "n": n,
            "seed": seed,
            "memory_gb": memory_gb,
            "cpu_s": timeout_s,
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
        except subprocess.TimeoutExpired:
            return ValidationResult(
                ok=False,
                reasons=[
                    f"Checking the code took longer than {timeout_s:.0f} s; avoid large Python loops and keep the functions small."
                ],
            )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or "").strip().splitlines()[-1:] or ["no output"]
        if proc.returncode in (-9, -24, 137) or "MemoryError" in proc.stderr:
            reason = f"The code exceeded the sandbox limits ({memory_gb:g} GB memory, {timeout_s:.0f} s CPU); make it smaller."
        else:
            reason = f"The sandbox process failed (exit {proc.returncode}): {tail[0]}."
        return ValidationResult(ok=False, reasons=[reason])
    result = json.loads(lines[-1])
    return ValidationResult(
        ok=not result["reasons"], reasons=result["reasons"], stats=result["stats"]
    )


def validate_file(path: str | Path, env_name: str, **kwargs: Any) -> ValidationResult:
    """Validate the skill module at ``path`` (see :func:`validate_source`)."""
    return validate_source(Path(path).read_text(), env_name, **kwargs)
