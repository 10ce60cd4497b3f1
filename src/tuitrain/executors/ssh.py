"""Runs on an SSH host, detached there: they survive the connection, the UI and the
laptop going away.

The run folder is ``<workdir>/runs/<install id>-<experiment id>`` on the host: the
install id (from ``TUITRAIN_HOME``) keeps two laptops sharing a host from colliding.
It holds the same files as a local run folder; the same wrapper script writes the exit
code, and the process is recognised by pid, start ticks and boot id as locally.

Files are read through the connection by byte offset. One listing of the run folder
(sizes of every file) serves every source of a catch-up, so a poll costs one round
trip plus one per source that grew. ``output.log`` is mirrored, by offset, into the
local ``runs/<id>/`` so the log viewer and ``tuitrain logs`` read it like a local one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tuitrain.executors import ssh_scripts as scripts
from tuitrain.executors.base import (
    OUTPUT_LOG,
    CommandResult,
    Executor,
    LaunchError,
    LaunchSpec,
    ProcessIdentity,
    ProcessState,
)
from tuitrain.executors.local import WRAPPER
from tuitrain.executors.ssh_connection import HostUnreachable, SshConnection, shell_script

LISTING_TTL_S = 0.3
MIRROR_CHUNK = 8 << 20


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A recursive glob (``**/x/*.pt``) as a regex over paths relative to the folder."""
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]+/)*")
            i += 3
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


class SshExecutor(Executor):
    def __init__(
        self,
        host: str,
        connection: SshConnection,
        workdir: str = "~/tuitrain",
        install_id: str = "",
        local_runs_root: Path | None = None,
    ) -> None:
        self.host = host
        self.connection = connection
        self.workdir = workdir
        self.install_id = install_id
        self.local_runs_root = local_runs_root
        self._home = ""
        self._listings: dict[str, tuple[float, dict[str, int]]] = {}
        self._generation = 0  # bumped by _forget_listings
        self._lock = threading.Lock()

    # -- helpers ---------------------------------------------------------------------
    def _sh(
        self, script: str, *args: str, stdin: bytes | None = None, timeout: float = 60.0
    ) -> bytes:
        done = self.connection.run(shell_script(script, *args), stdin=stdin, timeout=timeout)
        if done.returncode != 0:
            err = done.stderr.decode(errors="replace").strip().splitlines()
            raise OSError(f"{self.host}: {err[-1] if err else f'exit code {done.returncode}'}")
        return done.stdout

    def remote_home(self) -> str:
        if not self._home:
            out = self._sh('printf "%s" "$HOME"').decode()
            self._home = out or "/"
        return self._home

    def expand(self, path: str) -> str:
        """``~`` and relative paths resolved on the host (its ``$HOME``)."""
        if path == "~" or path.startswith("~/"):
            return self.remote_home().rstrip("/") + path[1:]
        if not path.startswith("/"):
            return self.remote_home().rstrip("/") + "/" + path
        return path

    def workdir_path(self, *parts: str) -> str:
        return "/".join([self.expand(self.workdir).rstrip("/"), *parts])

    # -- Executor --------------------------------------------------------------------
    def _expand_argv(self, argv: list[str]) -> list[str]:
        """``~/...`` as the program (an environment's python) is the host's home."""
        if argv and argv[0].startswith("~/"):
            return [self.expand(argv[0]), *argv[1:]]
        return list(argv)

    def check_command(self, argv: list[str]) -> None:
        if not argv or not argv[0]:
            raise LaunchError("empty command")
        argv = self._expand_argv(argv)
        out = self._sh(scripts.CHECK, argv[0]).decode().splitlines()
        for line in out:
            if line.startswith("HOME "):
                self._home = line[5:] or "/"
        verdict = out[-1] if out else ""
        if verdict == "MISSING":
            raise LaunchError(f"{argv[0]}: command not found on {self.host}")
        if verdict == "NOTEXEC":
            raise LaunchError(f"{argv[0]}: not executable on {self.host}")

    def run_dir_for(self, run_id: int, local_runs_root: Path) -> str:
        name = f"{self.install_id}-{run_id}" if self.install_id else str(run_id)
        return self.workdir_path("runs", name)

    def write_files(self, run_dir: str, files: dict[str, bytes]) -> None:
        for name, content in files.items():
            self._sh(scripts.WRITE, run_dir, name, stdin=content)

    def run_command(self, argv: list[str], timeout: float = 30.0) -> CommandResult:
        try:
            done = self.connection.run(self._expand_argv(argv), timeout=timeout)
        except HostUnreachable as exc:
            return CommandResult(255, "", str(exc))
        return CommandResult(
            done.returncode,
            done.stdout.decode(errors="replace"),
            done.stderr.decode(errors="replace"),
        )

    def launch(self, spec: LaunchSpec) -> ProcessIdentity:
        self.check_command(spec.argv)
        env = {"PYTHONUNBUFFERED": "1", **spec.env}
        env["TUITRAIN_RUN_ID"] = str(spec.run_id)
        env["TUITRAIN_RUN_DIR"] = spec.run_dir
        command = [
            "env",
            *(f"{k}={v}" for k, v in env.items()),
            "sh",
            "-c",
            WRAPPER,
            "tuitrain-run",
            spec.run_dir,
            *self._expand_argv(spec.argv),
        ]
        cwd = self.expand(spec.cwd) if spec.cwd else spec.run_dir
        try:
            out = self._sh(scripts.LAUNCH, spec.run_dir, cwd, *command).decode()
        except HostUnreachable as exc:
            raise LaunchError(str(exc)) from exc
        words = out.split()
        if not words or words[0] != "STARTED" or len(words) < 5:
            raise LaunchError(out.strip().removeprefix("ERROR ") or f"cannot start on {self.host}")
        _, pid, boot, _state, ticks = words[:5]
        start = f"ticks:{ticks}" if ticks != "none" else "unknown"
        return ProcessIdentity(pid=int(pid), pgid=int(pid), start=start, boot_id=boot)

    def prepare_run(
        self, cfg: dict[str, Any], run_dir: str, report: Callable[[str], None]
    ) -> dict[str, Any]:
        from tuitrain.executors.ssh_prepare import prepare_remote_run

        return prepare_remote_run(self, cfg, run_dir, report)

    def _forget_listings(self) -> None:
        """What follows must see the files as they are now: cached listings go, and a
        listing under way in another thread (a follower's) will not be cached."""
        with self._lock:
            self._generation += 1
            self._listings.clear()

    def probe(self, identity: ProcessIdentity) -> ProcessState:
        self._forget_listings()
        try:
            out = self._sh(scripts.PROBE, str(identity.pid)).decode().split()
        except OSError:
            return ProcessState.UNKNOWN
        if len(out) != 3:
            return ProcessState.UNKNOWN
        boot, state, ticks = out
        if boot != identity.boot_id or state in ("none", "Z"):
            return ProcessState.GONE
        return ProcessState.ALIVE if f"ticks:{ticks}" == identity.start else ProcessState.GONE

    def signal_group(self, identity: ProcessIdentity, signum: int) -> bool:
        import signal

        name = signal.Signals(signum).name.removeprefix("SIG")
        args = (str(identity.pid), str(identity.pgid), identity.start, identity.boot_id, name)
        return self._sh(scripts.SIGNAL, *args).decode().strip() == "SENT"

    def _listing(self, folder: str) -> dict[str, int]:
        """Size of every file under ``folder``, from one round trip (briefly cached)."""
        with self._lock:
            cached = self._listings.get(folder)
            if cached is not None and time.monotonic() - cached[0] < LISTING_TTL_S:
                return cached[1]
            generation = self._generation
        asked_at = time.monotonic()  # its age counts from the question, not the answer
        raw = self._sh(scripts.LIST, folder)
        sizes: dict[str, int] = {}
        for entry in raw.split(b"\0"):
            size, _, rest = entry.partition(b" ")
            _mtime, _, path = rest.partition(b" ")
            if path:
                sizes[path.decode(errors="surrogateescape")] = int(size)
        with self._lock:
            if generation == self._generation:
                self._listings[folder] = (asked_at, sizes)
        return sizes

    def _cached_listing(self, path: str) -> dict[str, int] | None:
        """A fresh cached listing of a folder holding ``path``, if there is one."""
        with self._lock:
            for folder, (at, sizes) in self._listings.items():
                if path.startswith(folder + "/") and time.monotonic() - at < LISTING_TTL_S:
                    return sizes
        return None

    def read_at(self, path: str, offset: int, size: int) -> bytes:
        return self._sh(scripts.READ_AT, path, str(offset), str(size))

    def file_size(self, path: str) -> int | None:
        sizes = self._cached_listing(path)
        if sizes is not None:
            return sizes.get(path)
        out = self._sh(scripts.SIZE, path).decode().strip()
        return None if out in ("none", "") else int(out)

    def list_files(self, folder: str, pattern: str) -> list[str]:
        regex = glob_regex(pattern)
        prefix = folder.rstrip("/") + "/"
        found = [p for p in self._listing(folder) if regex.match(p.removeprefix(prefix))]
        return sorted(found)

    def read_exit_code(self, run_dir: str) -> tuple[int, float] | None:
        self._forget_listings()
        out = self._sh(scripts.EXIT_CODE, run_dir).decode().split()
        with contextlib.suppress(ValueError):
            if len(out) == 2:
                return int(out[0]), float(out[1])
        return None

    # -- the local copy of output.log -----------------------------------------------
    def output_log(self, run_id: int, run_dir: str) -> str:
        if self.local_runs_root is None:
            return super().output_log(run_id, run_dir)
        return str(self.local_runs_root / str(run_id) / OUTPUT_LOG)

    def mirror_output(self, run_id: int, run_dir: str) -> None:
        """Append to the local copy what the host's output.log has beyond it. Under a
        lock, so two tuitrain processes never append the same bytes."""
        local = self.output_log(run_id, run_dir)
        remote = f"{run_dir}/{OUTPUT_LOG}"
        if local == remote:
            return
        os.makedirs(os.path.dirname(local), exist_ok=True)
        with open(local, "ab") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                remote_size = self.file_size(remote)
                offset = fh.seek(0, os.SEEK_END)
                while remote_size is not None and offset < remote_size:
                    chunk = self.read_at(remote, offset, min(MIRROR_CHUNK, remote_size - offset))
                    if not chunk:
                        break
                    fh.write(chunk)
                    fh.flush()
                    offset += len(chunk)
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
