"""Where a run's process lives. The manager only talks to this interface, so a run
may be a local process, one on an SSH host or a Slurm job; nothing assumes the process
is a child of this tuitrain (it usually is not: runs outlive the UI).

Methods are synchronous and may block (an SSH round trip); the asyncio manager calls
them in worker threads.
"""

from __future__ import annotations

import enum
import os
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUTPUT_LOG = "output.log"
EXIT_CODE_FILE = "exit_code"
METRICS_JSONL = "metrics.jsonl"


class LaunchError(RuntimeError):
    """The command could not be started; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class LaunchSpec:
    run_id: int
    argv: list[str]
    run_dir: str
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None


@dataclass(frozen=True, slots=True)
class ProcessIdentity:
    """Enough to recognise the process later: pids are reused and machines reboot,
    so the pid comes with the process start time and the machine's boot id."""

    pid: int
    pgid: int
    start: str
    boot_id: str


@dataclass(frozen=True, slots=True)
class CommandResult:
    """What a short command run on the host printed, and how it ended."""

    returncode: int
    stdout: str
    stderr: str


class ProcessState(enum.Enum):
    ALIVE = "alive"
    GONE = "gone"
    UNKNOWN = "unknown"  # the host cannot be asked right now (SSH down)


class Executor(ABC):
    host: str = "local"

    @abstractmethod
    def check_command(self, argv: list[str]) -> None:
        """Raise :class:`LaunchError` when ``argv`` cannot run on this host."""

    @abstractmethod
    def launch(self, spec: LaunchSpec) -> ProcessIdentity:
        """Start ``spec.argv`` detached: its own session, stdin from /dev/null, output
        to ``run_dir/output.log``, exit code to ``run_dir/exit_code`` when it ends."""

    @abstractmethod
    def probe(self, identity: ProcessIdentity) -> ProcessState: ...

    @abstractmethod
    def signal_group(self, identity: ProcessIdentity, signum: int) -> bool:
        """Signal the run's process group, only if it is still the same process.
        Returns False when there was nothing to signal."""

    @abstractmethod
    def read_at(self, path: str, offset: int, size: int) -> bytes: ...

    @abstractmethod
    def file_size(self, path: str) -> int | None:
        """Size in bytes, or None when the file does not exist."""

    @abstractmethod
    def list_files(self, folder: str, pattern: str) -> list[str]:
        """Files under ``folder`` matching a recursive glob ``pattern``, sorted."""

    @abstractmethod
    def read_exit_code(self, run_dir: str) -> tuple[int, float] | None:
        """(exit code, time it was written) once the command has ended."""

    # -- with a default for hosts whose files are this machine's --------------------------
    def run_dir_for(self, run_id: int, local_runs_root: Path) -> str:
        """The run folder of run ``run_id`` on this host."""
        return str(local_runs_root / str(run_id))

    def write_files(self, run_dir: str, files: dict[str, bytes]) -> None:
        """Create ``run_dir`` on the host and write ``files`` (name -> content) in it."""
        folder = Path(run_dir)
        folder.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            tmp = folder / f".{name}.tmp"
            tmp.write_bytes(content)
            os.replace(tmp, folder / name)

    def prepare_run(
        self, cfg: dict[str, Any], run_dir: str, report: Callable[[str], None]
    ) -> dict[str, Any]:
        """Make what the run needs available on the host (a dataset, tuitrain's
        runners) and return ``cfg`` with its paths as the host sees them; ``report``
        hears one line at a time how it goes. Here: nothing to do. Raises ``OSError``
        or :class:`LaunchError` with a one-line reason."""
        return cfg

    def output_log(self, run_id: int, run_dir: str) -> str:
        """The path on this machine where the run's output can be read (for a remote
        host, a local copy that :meth:`mirror_output` keeps up to date)."""
        return os.path.join(run_dir, OUTPUT_LOG)

    def mirror_output(self, run_id: int, run_dir: str) -> None:
        """Bring :meth:`output_log` up to date (nothing to do where it is the file)."""
        return None

    def run_command(self, argv: list[str], timeout: float = 30.0) -> CommandResult:
        """Run a short command on the host (no shell) and wait for it. A command that
        cannot start, or runs past ``timeout``, returns code 127 or 124 with why."""
        try:
            done = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=timeout,
                stdin=subprocess.DEVNULL,
                errors="replace",
            )
        except FileNotFoundError:
            return CommandResult(127, "", f"{argv[0]}: command not found")
        except subprocess.TimeoutExpired:
            return CommandResult(124, "", f"{argv[0]}: no answer after {timeout:g} s")
        except OSError as exc:
            return CommandResult(126, "", f"{argv[0]}: {exc.strerror}")
        return CommandResult(done.returncode, done.stdout, done.stderr)
