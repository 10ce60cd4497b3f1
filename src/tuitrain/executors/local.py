"""Runs on this machine, detached from tuitrain."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import time
from pathlib import Path

import psutil

from tuitrain.executors.base import (
    EXIT_CODE_FILE,
    OUTPUT_LOG,
    Executor,
    LaunchError,
    LaunchSpec,
    ProcessIdentity,
    ProcessState,
)

PID_FILE = "pid"
READY_TIMEOUT_S = 10.0

# Runs the command in the foreground and writes its exit status when it ends, however
# it ends short of SIGKILL. The traps make the shell outlive a SIGTERM/SIGINT sent to
# the process group (the command gets the signal too) so the code is still written;
# caught signals reset to default in the command, so the command is not shielded.
# The pid file says the traps are set: launch() returns only then, so a stop right
# after the start still gets an exit code.
WRAPPER = r"""
run_dir=$1; shift
trap 'sig=1' TERM INT HUP
echo $$ > "$run_dir/pid.tmp" && mv -f "$run_dir/pid.tmp" "$run_dir/pid"
"$@"
code=$?
printf '%s\n' "$code" > "$run_dir/exit_code.tmp" && mv -f "$run_dir/exit_code.tmp" "$run_dir/exit_code"
exit "$code"
"""


def boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return f"boot-{psutil.boot_time():.0f}"


def process_start(pid: int) -> str | None:
    """A marker of when ``pid`` started; None if there is no such process."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return None
    except OSError:
        raw = b""
    if raw:
        fields = raw[raw.rfind(b")") + 2 :].split()
        if fields[0] == b"Z":
            return None  # a zombie has finished; it only waits to be reaped
        return "ticks:" + fields[19].decode()
    try:
        return f"ctime:{psutil.Process(pid).create_time():.2f}"
    except psutil.Error:
        return None


class LocalExecutor(Executor):
    host = "local"

    def __init__(self) -> None:
        # Children started by this process, reaped when probed so none stays a zombie.
        self._children: dict[int, subprocess.Popen[bytes]] = {}

    def check_command(self, argv: list[str]) -> None:
        if not argv or not argv[0]:
            raise LaunchError("empty command")
        exe = argv[0]
        if os.sep in exe:
            if not os.path.isfile(exe):
                raise LaunchError(f"{exe}: no such file")
            if not os.access(exe, os.X_OK):
                raise LaunchError(f"{exe}: not executable")
        elif shutil.which(exe) is None:
            raise LaunchError(f"{exe}: command not found")

    def launch(self, spec: LaunchSpec) -> ProcessIdentity:
        self.check_command(spec.argv)
        run_dir = Path(spec.run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONUNBUFFERED": "1", **spec.env}
        env["TUITRAIN_RUN_ID"] = str(spec.run_id)
        env["TUITRAIN_RUN_DIR"] = str(run_dir)
        with open(run_dir / OUTPUT_LOG, "ab") as log:
            try:
                proc = subprocess.Popen(
                    ["/bin/sh", "-c", WRAPPER, "tuitrain-run", str(run_dir), *spec.argv],
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    cwd=spec.cwd or str(run_dir),
                    env=env,
                    start_new_session=True,
                    close_fds=True,
                )
            except OSError as exc:
                raise LaunchError(f"cannot start {spec.argv[0]}: {exc.strerror}") from exc
        self._children[proc.pid] = proc
        self._wait_ready(proc, run_dir / PID_FILE)
        start = process_start(proc.pid) or "unknown"
        return ProcessIdentity(pid=proc.pid, pgid=proc.pid, start=start, boot_id=boot_id())

    @staticmethod
    def _wait_ready(proc: subprocess.Popen[bytes], pid_file: Path) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not pid_file.exists():
            if proc.poll() is not None or time.monotonic() > deadline:
                return  # it ended already (or is very slow): the exit code tells the rest
            time.sleep(0.002)

    def _reap(self, pid: int) -> None:
        child = self._children.get(pid)
        if child is not None and child.poll() is not None:
            del self._children[pid]

    def probe(self, identity: ProcessIdentity) -> ProcessState:
        self._reap(identity.pid)
        if identity.boot_id != boot_id():
            return ProcessState.GONE  # the machine rebooted since
        current = process_start(identity.pid)
        if current is None or current != identity.start:
            return ProcessState.GONE  # no such process, or the pid now belongs to another
        return ProcessState.ALIVE

    def signal_group(self, identity: ProcessIdentity, signum: int) -> bool:
        # The wrapper shell leads the group and outlives the command, so a leader that
        # is gone (or whose pid now belongs to another process) means nothing to stop;
        # signalling anyway could hit an unrelated group that reused the id.
        if self.probe(identity) is not ProcessState.ALIVE:
            return False
        try:
            os.killpg(identity.pgid, signum)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def read_at(self, path: str, offset: int, size: int) -> bytes:
        try:
            with open(path, "rb") as fh:
                fh.seek(offset)
                return fh.read(size)
        except FileNotFoundError:
            return b""

    def file_size(self, path: str) -> int | None:
        try:
            return os.stat(path).st_size
        except FileNotFoundError:
            return None

    def list_files(self, folder: str, pattern: str) -> list[str]:
        return sorted(glob.glob(os.path.join(glob.escape(folder), pattern), recursive=True))

    def read_exit_code(self, run_dir: str) -> tuple[int, float] | None:
        path = os.path.join(run_dir, EXIT_CODE_FILE)
        with contextlib.suppress(FileNotFoundError, ValueError):
            with open(path) as fh:
                code = int(fh.read().strip())
            return code, os.stat(path).st_mtime
        return None
