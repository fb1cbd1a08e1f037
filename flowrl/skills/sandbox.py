"""OS confinement of the process that runs untrusted skill code (the validation sandbox).

Two halves:

* the parent builds the child's start: a scrubbed environment (an allowlist of variables,
  and no ``OPENAI_*``, ``*_KEY``, ``*_TOKEN``, ``*_SECRET``, ``SLURM_*`` ... even if one
  were on it), a fresh temporary working directory as cwd, ``HOME`` and ``TMPDIR``
  (:func:`child_environment`, :func:`launch_command`);
* the child, before it imports JAX or reads any skill code, confines itself
  (:func:`confine`): resource limits (address space, CPU time, file size, core dumps),
  a private network namespace when unprivileged user namespaces are available, and a
  Landlock ruleset when the kernel has one: writes only beneath the working directory,
  reads only beneath the Python installation, the flowrl package and the sample cache,
  no TCP bind/connect (Landlock ABI >= 4), no signals or abstract sockets out of the
  sandbox (ABI >= 6). Landlock is applied before any thread starts, so every thread JAX
  creates inherits it.

Every layer is best effort on platforms that lack it (macOS, old kernels); what was
applied is reported (:func:`confine` returns it and validation records it), and the static
allowlist (:mod:`flowrl.skills.ast_check`) is the first line of defence everywhere.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import platform
import re
import resource
import signal
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ENV_KEEP = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "XLA_FLAGS", "TZ")
"""Variables a sandbox inherits (everything else is dropped). ``JAX_PLATFORMS`` is not one:
a sandbox always runs JAX on the CPU, so a validation never takes a GPU's memory."""

SECRET_PATTERN = re.compile(
    r"(^OPENAI_|^ANTHROPIC_|^AZURE_|^AWS_|^GOOGLE_|^HF_|^WANDB_|^SLURM_|^MUNGE|^GITHUB_|"
    r"KEY|TOKEN|SECRET|PASSW|CREDENTIAL|AUTH|COOKIE|SESSION)",
    re.IGNORECASE,
)
"""Names of variables that must never reach a sandbox, whatever the allowlist says."""

FILE_SIZE_LIMIT = 1 << 20


def is_secret(name: str) -> bool:
    """True for environment variable names that may hold credentials."""
    return bool(SECRET_PATTERN.search(name))


def drop_secrets(keep_prefixes: tuple[str, ...] = ("WANDB_",)) -> list[str]:
    """Remove credential variables from this process's environment; returns their names.

    For processes that execute checked skill code but never call an LLM (training,
    evaluation): the static allowlist already keeps skill code away from ``os.environ``;
    this is the second layer. ``keep_prefixes`` names what the process itself needs.
    """
    dropped = [k for k in os.environ if is_secret(k) and not k.startswith(keep_prefixes)]
    for name in dropped:
        del os.environ[name]
    return dropped


def child_environment(workdir: str | Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The whole environment of a sandbox: allowlisted, secret-free, homed in ``workdir``."""
    env = {k: os.environ[k] for k in ENV_KEEP if k in os.environ}
    env.update(extra or {})
    env.update(
        {
            "HOME": str(workdir),
            "TMPDIR": str(workdir),
            "JAX_PLATFORMS": "cpu",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return {k: v for k, v in env.items() if not is_secret(k)}


def launch_command(module: str) -> list[str]:
    """argv that runs ``module``'s ``main()`` with this very flowrl, in isolated mode.

    ``-I`` ignores ``PYTHONPATH`` and user site-packages, so the package root is put on
    ``sys.path`` explicitly: the sandbox runs the same code as its parent.
    """
    root = str(Path(__file__).resolve().parents[2])
    bootstrap = (
        f"import sys; sys.path.insert(0, {root!r}); import runpy; "
        f"runpy.run_module({module!r}, run_name='__main__')"
    )
    return [sys.executable, "-I", "-B", "-c", bootstrap]


# --- confinement (runs in the child) ------------------------------------------------


_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int | None) -> bool:
    """Ask the kernel to SIGKILL this process when its parent dies (Linux); if the parent
    is already gone (it died before this call), exit now. True when the kernel agreed."""
    libc = _libc()
    armed = libc is not None and libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)
    return armed


def limit_cpu_from_now(seconds: float) -> None:
    """Let this process use at most ``seconds`` more CPU time (all threads) before the
    kernel ends it with SIGXCPU: the limit holds even inside one long C call."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    used = usage.ru_utime + usage.ru_stime
    _, hard = resource.getrlimit(resource.RLIMIT_CPU)
    soft = int(used + seconds) + 1
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_CPU, (soft, hard))


def confine(
    workdir: str | Path,
    read_roots: Iterable[str | Path] = (),
    memory_gb: float = 4.0,
    cpu_s: float = 120.0,
    landlock: bool = True,
) -> dict[str, Any]:
    """Confine this process: limits, no network, writes only beneath ``workdir``.

    Call before importing anything heavy (no threads may exist yet). Returns what was
    applied, e.g. ``{"rlimits": True, "netns": True, "landlock": 7}``. A layer this
    platform lacks, or that fails, is skipped and reported, never fatal.
    """
    applied: dict[str, Any] = {"platform": platform.system()}
    for name, layer in (
        ("rlimits", lambda: _apply_limits(memory_gb, cpu_s) or True),  # type: ignore[func-returns-value]  # the step must return True once the limits are set
        ("netns", _private_network),
        ("landlock", lambda: _landlock(Path(workdir), [*_default_read_roots(), *read_roots])),
    ):
        if name == "landlock" and not landlock:
            applied[name] = 0
            continue
        try:
            applied[name] = layer()
        except (OSError, ValueError, AttributeError) as err:
            applied[name] = False
            applied[f"{name}_error"] = f"{type(err).__name__}: {err}"
    return applied


def _apply_limits(memory_gb: float, cpu_s: float) -> None:
    mem = int(memory_gb * (1 << 30))
    resource.setrlimit(resource.RLIMIT_AS, (mem, mem))
    resource.setrlimit(resource.RLIMIT_CPU, (int(cpu_s), int(cpu_s) + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT, FILE_SIZE_LIMIT))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # A write past the size limit fails with EFBIG instead of killing the process.
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)


_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000


def _libc() -> ctypes.CDLL | None:
    if platform.system() != "Linux":
        return None
    try:
        return ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None


def _private_network() -> bool:
    """Move into a new user + network namespace (no interfaces but a down loopback)."""
    libc = _libc()
    if libc is None:
        return False
    uid, gid = os.getuid(), os.getgid()
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) != 0:
        return False  # unprivileged user namespaces disabled: Landlock still blocks TCP
    # Map our own ids so file permissions stay what they were.
    maps = (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1"))
    for name, text in maps:
        with contextlib.suppress(OSError):
            Path(f"/proc/self/{name}").write_text(text)
    return True


# Landlock (linux/landlock.h): syscall numbers are the same on every architecture.
_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
_FS_ABI1 = (1 << 13) - 1  # execute ... make_sym
_FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_BIND_TCP, _NET_CONNECT_TCP = 1 << 0, 1 << 1
_SCOPE_ABSTRACT_UNIX_SOCKET, _SCOPE_SIGNAL = 1 << 0, 1 << 1


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def landlock_abi() -> int:
    """The kernel's Landlock ABI version (0 when unavailable)."""
    libc = _libc()
    if libc is None:
        return 0
    libc.syscall.restype = ctypes.c_long
    version = libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    return max(int(version), 0)


def _landlock(workdir: Path, read_roots: Iterable[str | Path]) -> int:
    """Restrict this process (and threads it starts) to ``read_roots`` and ``workdir``."""
    abi = landlock_abi()
    libc = _libc()
    if abi < 1 or libc is None:
        return 0
    handled_fs = _FS_ABI1
    if abi >= 2:
        handled_fs |= _FS_REFER
    if abi >= 3:
        handled_fs |= _FS_TRUNCATE
    if abi >= 5:
        handled_fs |= _FS_IOCTL_DEV
    attr = _RulesetAttr(
        handled_access_fs=handled_fs,
        handled_access_net=(_NET_BIND_TCP | _NET_CONNECT_TCP) if abi >= 4 else 0,
        scoped=(_SCOPE_ABSTRACT_UNIX_SOCKET | _SCOPE_SIGNAL) if abi >= 6 else 0,
    )
    size = ctypes.sizeof(_RulesetAttr) if abi >= 6 else (16 if abi >= 4 else 8)
    fd = libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if fd < 0:
        return 0
    try:
        read = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
        _allow(libc, fd, workdir, handled_fs)
        for root in read_roots:
            _allow(libc, fd, Path(root), read)
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return 0
        if libc.syscall(_SYS_RESTRICT_SELF, fd, 0) != 0:
            return 0
    finally:
        os.close(fd)
    return abi


def _allow(libc: ctypes.CDLL, ruleset_fd: int, path: Path, access: int) -> None:
    try:
        path_fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except OSError:
        return  # a root that does not exist here grants nothing
    try:
        if not path.is_dir():  # files take only file rights
            access &= _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV
        rule = _PathBeneathAttr(allowed_access=access, parent_fd=path_fd)
        if libc.syscall(_SYS_ADD_RULE, ruleset_fd, _RULE_PATH_BENEATH, ctypes.byref(rule), 0):
            err = ctypes.get_errno()
            if err not in (errno.EINVAL, errno.ENOMSG):
                raise OSError(err, f"landlock_add_rule({path}): {os.strerror(err)}")
    finally:
        os.close(path_fd)


def _default_read_roots() -> list[str]:
    """What a Python + JAX process reads: the interpreter, libraries, its own /proc entry."""
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix}
    roots = set(prefixes)
    # Library folders outside the prefixes (e.g. a user site), but never a source checkout
    # or the working directory: only the flowrl package itself is read from there.
    roots.update(
        p
        for p in sys.path
        if p and Path(p).is_dir() and Path(p).name in ("site-packages", "dist-packages")
    )
    roots.add(str(Path(__file__).resolve().parents[1]))  # the flowrl package
    roots.update(
        [
            "/usr/lib",
            "/usr/lib64",
            "/usr/local/lib",
            "/lib",
            "/lib64",
            "/usr/share/zoneinfo",
            "/etc/ld.so.cache",
            "/etc/localtime",
            f"/proc/{os.getpid()}",
            "/proc/cpuinfo",
            "/proc/meminfo",
            "/proc/stat",
            "/sys/devices/system/cpu",
            "/sys/fs/cgroup",
            "/dev/null",
            "/dev/urandom",
        ]
    )
    return sorted(roots)
