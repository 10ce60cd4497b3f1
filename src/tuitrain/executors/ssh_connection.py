"""One host's SSH connection: the system ``ssh`` binary over a multiplexed master.

Everything sent to the host goes through :func:`remote_command`, the one place that
turns an argv into the command line the remote shell parses (each argument quoted with
``shlex.quote``), so no name, path or value is ever interpreted by that shell.

``ssh`` always runs in batch mode (never a password prompt), with a connect timeout and
keep-alives. One master connection per host (``ControlMaster``) carries every command,
its socket in a short private folder (unix socket paths are limited to ~100 bytes).
A host that cannot be reached raises :class:`HostUnreachable`; further calls fail at
once during a backoff (0.5 s doubling to 30 s), so a dead host never holds up others.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shlex
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

SSH_FAILED = 255  # ssh's own exit status for connection and authentication failures
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0
CONTROL_PERSIST_S = 600
AUTH_HINT = "tuitrain never prompts; set up a key or agent"


class HostUnreachable(OSError):
    """The host cannot be asked now (DNS, refused, timeout, dropped connection...)."""


class AuthenticationFailed(HostUnreachable):
    """The host answered but refused our keys (a password would be needed)."""


def remote_command(argv: Sequence[str]) -> str:
    """The command line for the remote shell: every argument quoted on its own."""
    if not argv:
        raise ValueError("empty remote command")
    return " ".join(shlex.quote(str(a)) for a in argv)


def shell_script(script: str, *args: str, name: str = "tuitrain") -> list[str]:
    """An argv running ``script`` with ``sh`` and ``args`` as ``$1``, ``$2``..."""
    return ["sh", "-c", script, name, *args]


_REASONS: tuple[tuple[str, str], ...] = (
    ("could not resolve hostname", "unknown host name (DNS)"),
    ("name or service not known", "unknown host name (DNS)"),
    ("connection refused", "connection refused (is sshd running, is the port right?)"),
    ("timed out", "connection timed out"),
    ("no route to host", "no route to host"),
    ("network is unreachable", "network is unreachable"),
    ("host key verification failed", "host key verification failed (see ~/.ssh/known_hosts)"),
    ("connection closed", "connection closed by the host"),
    ("connection reset", "connection reset"),
    ("broken pipe", "connection lost"),
)


def classify_failure(target: str, stderr: str) -> HostUnreachable:
    """The error for an ssh that exited 255, from what it printed."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.lower().startswith(("warning:", "control socket"))]
    detail = lines[-1] if lines else "connection lost"
    low = stderr.lower()
    if "permission denied" in low or "too many authentication failures" in low:
        return AuthenticationFailed(f"authentication failed: {detail} ({AUTH_HINT})")
    for needle, reason in _REASONS:
        if needle in low:
            return HostUnreachable(f"{target} unreachable: {reason}")
    return HostUnreachable(f"{target} unreachable: {detail}")


def control_folder() -> str:
    """A private folder for master sockets, short enough for a unix socket path and
    shared by every tuitrain process of this user (so the CLI reuses the TUI's master)."""
    root = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()  # macOS's is long
    path = os.path.join(root, f"tuitrain-ssh-{os.getuid()}")
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, 0o700)
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or info.st_mode & 0o077:
        # Someone else's or a world-readable folder: do not put our sockets there.
        path = tempfile.mkdtemp(prefix="tt-ssh-")
    return path


@dataclass
class SshConnection:
    """How to reach one host: ``target`` is passed to ``ssh`` as it is, so aliases of
    ``~/.ssh/config`` (keys, agent, ProxyJump, port) work."""

    target: str
    options: tuple[str, ...] = ()
    config_file: str | None = None
    connect_timeout: float = 10.0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _down_until: float = 0.0
    _backoff: float = 0.0
    _last_error: HostUnreachable | None = None
    _control: str = ""
    _socket: str = ""  # this host's master socket, from ``ssh -G``
    _suspect: bool = True  # check the master before the next command

    def base_argv(self) -> list[str]:
        if not self._control:
            self._control = control_folder()
        argv = ["ssh"]
        if self.config_file:
            argv += ["-F", os.path.expanduser(self.config_file)]
        argv += [
            "-o",
            "BatchMode=yes",
            "-o",
            f"ConnectTimeout={max(1, round(self.connect_timeout))}",
            "-o",
            "ServerAliveInterval=5",
            "-o",
            "ServerAliveCountMax=3",
            "-o",
            f"ControlPath={os.path.join(self._control, self._socket_name())}",
        ]
        for opt in self.options:
            argv += ["-o", opt]
        return argv

    def _socket_name(self) -> str:
        """One master per configured host: a hash of how it is reached (not ssh's
        ``%C``, which two aliases of one address share, whatever their keys)."""
        key = "\0".join([self.target, self.config_file or "", *self.options])
        return hashlib.sha1(key.encode()).hexdigest()[:20]

    def control_socket(self) -> str:
        """The path of this host's master socket (asks ``ssh -G`` for ``%C``)."""
        if not self._socket:
            argv = [*self.base_argv(), "-G", self.target]
            out = subprocess.run(
                argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=10
            )
            for line in out.stdout.splitlines():
                key, _, value = line.partition(" ")
                if key == "controlpath":
                    self._socket = value
        return self._socket

    def master_pid(self) -> int | None:
        """The master's pid (``ssh -O check``), None without one."""
        check = subprocess.run(
            [*self.base_argv(), "-O", "check", self.target],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=10,
        )
        found = re.search(r"pid=(\d+)", check.stderr + check.stdout)
        return int(found.group(1)) if check.returncode == 0 and found else None

    # -- the master ------------------------------------------------------------------
    def _master_alive(self) -> bool:
        socket = self.control_socket()
        if socket and os.path.exists(socket) and not self._suspect:
            return True  # no round trip: a dead master shows in the next command
        alive = self.master_pid() is not None
        if not alive and socket:
            with contextlib.suppress(OSError):
                os.unlink(socket)  # a stale socket of a killed master
        return alive

    def _start_master(self) -> None:
        """Open the master connection (returns once authenticated). Its stderr goes to
        a file: a backgrounded master keeps its stderr open, a pipe would never end."""
        with tempfile.TemporaryFile() as err:
            proc = subprocess.run(
                [
                    *self.base_argv(),
                    "-o",
                    "ControlMaster=yes",
                    "-o",
                    f"ControlPersist={CONTROL_PERSIST_S}",
                    "-f",
                    "-N",
                    self.target,
                ],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
                timeout=self.connect_timeout + 20,
            )
            if proc.returncode != 0:
                err.seek(0)
                raise classify_failure(self.target, err.read().decode(errors="replace"))

    def ensure_master(self) -> None:
        """A live master, or :class:`HostUnreachable` (at once while backing off)."""
        with self._lock:
            now = time.monotonic()
            if now < self._down_until and self._last_error is not None:
                raise type(self._last_error)(str(self._last_error))
            try:
                if not self._master_alive():
                    self._start_master()
            except subprocess.TimeoutExpired:
                self._failed(HostUnreachable(f"{self.target} unreachable: connection timed out"))
            except HostUnreachable as exc:
                self._failed(exc)
            self._backoff = 0.0
            self._last_error = None
            self._suspect = False

    def _failed(self, exc: HostUnreachable) -> None:
        self._backoff = min(BACKOFF_MAX_S, max(BACKOFF_FIRST_S, self._backoff * 2))
        self._down_until = time.monotonic() + self._backoff
        self._last_error = exc
        self._suspect = True
        raise exc

    def mark_down(self, exc: HostUnreachable) -> None:
        """A command lost the connection: back off before the next try."""
        with self._lock, contextlib.suppress(HostUnreachable):
            self._failed(exc)

    def close(self) -> None:
        """Ask the master to exit (runs are not affected)."""
        subprocess.run(
            [*self.base_argv(), "-O", "exit", self.target],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=10,
        )

    # -- commands --------------------------------------------------------------------
    def run(
        self,
        argv: Sequence[str],
        stdin: bytes | None = None,
        timeout: float = 60.0,
    ) -> subprocess.CompletedProcess[bytes]:
        """Run ``argv`` on the host; its output as bytes. Connection problems raise
        :class:`HostUnreachable`; the command's own failures come back as its status."""
        self.ensure_master()
        cmd = [*self.base_argv(), "-o", "ControlMaster=no", self.target, remote_command(argv)]
        try:
            done = subprocess.run(
                cmd,
                input=stdin if stdin is not None else b"",
                capture_output=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            err = HostUnreachable(f"{self.target}: no answer after {timeout:g} s")
            self.mark_down(err)
            raise err from exc
        if b"ontrol socket" in done.stderr or b"mux_client" in done.stderr:
            self._suspect = True  # the master died: this command went direct
        if done.returncode == SSH_FAILED:
            err = classify_failure(self.target, done.stderr.decode(errors="replace"))
            self.mark_down(err)
            raise err
        return done

    def popen(self, argv: Sequence[str], **kwargs: object) -> subprocess.Popen[bytes]:
        """A streaming command (file transfer); the caller checks its status."""
        self.ensure_master()
        cmd = [*self.base_argv(), "-o", "ControlMaster=no", self.target, remote_command(argv)]
        return subprocess.Popen(cmd, **kwargs)  # type: ignore[call-overload, no-any-return]
