"""The sandbox's OS layer on its own: no secrets, no writes outside, no network.

A probe process (tests/sandbox_probe.py) is started exactly as the validator starts its
sandbox and confines itself the same way; then it tries what hostile code would try.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from flowrl.skills.sandbox import (
    child_environment,
    confine,
    is_secret,
    landlock_abi,
    launch_command,
)
from flowrl.skills.validator import remove_stale_sandboxes

CANARY = "sk-flowrl-canary-0123456789"


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> dict:
    outside = tmp_path_factory.mktemp("outside")
    secret = outside / "secret.env"
    secret.write_text(f"OPENAI_API_KEY={CANARY}\n")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    monkey = pytest.MonkeyPatch()
    for name in ("OPENAI_API_KEY", "FLOWRL_CANARY_TOKEN", "SLURM_CANARY_SECRET"):
        monkey.setenv(name, CANARY)
    try:
        with tempfile.TemporaryDirectory() as workdir:
            request = {
                "outside_dir": str(outside),
                "secret_file": str(secret),
                "checkout_file": str(Path(__file__).parents[1] / "pyproject.toml"),
                "port": server.getsockname()[1],
                "read_roots": [str(Path(__file__).parent)],
            }
            proc = subprocess.run(
                launch_command("tests.sandbox_probe"),
                input=json.dumps(request),
                capture_output=True,
                text=True,
                cwd=workdir,
                env=child_environment(workdir),
                timeout=60,
            )
    finally:
        monkey.undo()
        server.close()
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    report["outside_files"] = sorted(p.name for p in outside.iterdir())
    return report


def test_secrets_never_reach_the_sandbox(probe):
    assert probe["secret_env"] == {}
    assert CANARY not in json.dumps(probe)
    assert probe["cwd_is_fresh"]


def test_writes_stay_inside_the_working_directory(probe):
    assert probe["write_inside"] == "done"
    assert probe["big_write"].startswith("refused")  # RLIMIT_FSIZE
    if not probe["isolation"]["landlock"]:
        pytest.skip("no Landlock on this kernel: only the static check and rlimits apply")
    assert probe["write_outside"].startswith("refused")
    assert probe["mkdir_outside"].startswith("refused")
    assert probe["outside_files"] == ["secret.env"]


def test_no_reads_of_secrets_on_disk(probe):
    if not probe["isolation"]["landlock"]:
        pytest.skip("no Landlock on this kernel")
    assert probe["read_secret_file"].startswith("refused")
    assert probe["read_checkout_file"].startswith("refused")  # e.g. a .env beside the code
    assert probe["read_parent_environ"].startswith("refused")


def test_no_network(probe):
    if not (probe["isolation"]["netns"] or probe["isolation"]["landlock"] >= 4):
        pytest.skip("neither network namespaces nor Landlock ABI 4 here")
    assert probe["connect_loopback"].startswith("refused")


def test_secret_names():
    for name in (
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "HF_TOKEN",
        "MY_SECRET",
        "SLURM_JOB_ID",
        "WANDB_API_KEY",
        "aws_session_token",
        "DB_PASSWORD",
    ):
        assert is_secret(name), name
    for name in ("PATH", "LANG", "JAX_PLATFORMS", "XLA_FLAGS"):
        assert not is_secret(name), name


def test_child_environment_is_an_allowlist(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    monkeypatch.setenv("SOME_RANDOM_SETTING", "x")
    env = child_environment(tmp_path, {"EXTRA_TOKEN": CANARY, "FLOWRL_CACHE_DIR": "/c"})
    assert CANARY not in env.values()
    assert "SOME_RANDOM_SETTING" not in env
    assert env["HOME"] == env["TMPDIR"] == str(tmp_path)
    assert env["FLOWRL_CACHE_DIR"] == "/c"


def test_child_environment_runs_jax_on_the_cpu(monkeypatch, tmp_path):
    """Whatever the user set, a validation sandbox never takes a GPU."""
    monkeypatch.setenv("JAX_PLATFORMS", "cuda")
    assert child_environment(tmp_path)["JAX_PLATFORMS"] == "cpu"


def test_drop_secrets_keeps_what_training_needs(monkeypatch):
    from flowrl.skills.sandbox import drop_secrets

    monkeypatch.setenv("OPENAI_API_KEY", CANARY)
    monkeypatch.setenv("WANDB_API_KEY", "wandb-key")
    assert "OPENAI_API_KEY" in drop_secrets()
    assert "OPENAI_API_KEY" not in os.environ and os.environ["WANDB_API_KEY"] == "wandb-key"


def test_landlock_probe_is_harmless():
    assert landlock_abi() >= 0  # asking the version never restricts the caller
    assert callable(confine)


# --- lifetime: a sandbox never outlives the validator that started it ---------------
_VALIDATOR = """
import sys
from flowrl.envs.games import get_game
from flowrl.skills import validator
validator._run_sandbox([{"source": "", "n": 1}], get_game("Craftax-Classic-Symbolic-v1"), 0,
                       300.0, 1.0, module="tests.sandbox_hang")
"""


def _sandbox_of(validator_pid: int, root: Path, timeout: float = 60.0) -> tuple[Path, int]:
    """The folder and pid of the sandbox ``validator_pid`` started, once it runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for folder in root.glob(f"flowrl-sandbox-{validator_pid}-*"):
            for proc in Path("/proc").glob("[0-9]*"):
                with contextlib.suppress(OSError):
                    if os.readlink(proc / "cwd") == str(folder):
                        return folder, int(proc.name)
        time.sleep(0.2)
    raise AssertionError("the sandbox did not start")


def _gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat")
        if not stat.exists() or stat.read_text().split(")")[-1].split()[0] == "Z":
            return True
        time.sleep(0.1)
    return False


@pytest.mark.skipif(not Path("/proc/self/cwd").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill", "term"])
def test_a_killed_validator_leaves_no_sandbox_and_no_folder(tmp_path, sig):
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join([root, env.get("PYTHONPATH", "")])
    validator = subprocess.Popen([sys.executable, "-c", _VALIDATOR], env=env, cwd=root)
    folder, sandbox = _sandbox_of(validator.pid, tmp_path)
    time.sleep(0.5)  # the stand-in has read its request and armed its parent-death signal
    validator.send_signal(sig)
    validator.wait(timeout=30)
    assert _gone(sandbox), "the sandbox outlived its validator"
    if sig == signal.SIGTERM:
        assert not folder.exists()  # cleaned up on the way out
    else:
        assert remove_stale_sandboxes(tmp_path) == [folder]  # swept by the next validation
    assert not folder.exists()
