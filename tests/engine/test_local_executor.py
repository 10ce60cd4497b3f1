"""The local executor with real processes: detached, recognisable, stoppable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tuitrain.executors.base import LaunchSpec, ProcessIdentity, ProcessState
from tuitrain.executors.local import LocalExecutor, process_start


def _wait_for(path: Path, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.01)


def test_launch_is_detached_with_devnull_stdin_and_writes_exit_code(tmp_path: Path) -> None:
    ex = LocalExecutor()
    code = (
        "import os,sys;"
        "print('sid', os.getsid(0), 'pgid', os.getpgid(0));"
        "print('stdin', os.readlink('/proc/self/fd/0'));"
        "print('run', os.environ['TUITRAIN_RUN_ID']);"
        "sys.exit(3)"
    )
    ident = ex.launch(LaunchSpec(7, [sys.executable, "-c", code], str(tmp_path)))
    _wait_for(tmp_path / "exit_code")
    out = (tmp_path / "output.log").read_text()
    assert f"sid {ident.pid} pgid {ident.pid}" in out  # own session and process group
    assert "stdin /dev/null" in out
    assert "run 7" in out
    assert ex.read_exit_code(str(tmp_path))[0] == 3  # type: ignore[index]


def test_sigterm_to_the_group_still_records_the_exit_code(tmp_path: Path) -> None:
    ex = LocalExecutor()
    code = "import time; print('up', flush=True); time.sleep(60)"
    ident = ex.launch(LaunchSpec(1, [sys.executable, "-c", code], str(tmp_path)))
    assert ex.probe(ident) is ProcessState.ALIVE
    log = tmp_path / "output.log"
    deadline = time.monotonic() + 20
    while b"up" not in log.read_bytes():
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert ex.signal_group(ident, signal.SIGTERM)
    _wait_for(tmp_path / "exit_code")
    assert ex.read_exit_code(str(tmp_path))[0] == 128 + signal.SIGTERM  # type: ignore[index]


def test_reused_pid_is_not_mistaken_for_the_run(tmp_path: Path) -> None:
    ex = LocalExecutor()
    ident = ex.launch(LaunchSpec(1, [sys.executable, "-c", "pass"], str(tmp_path)))
    _wait_for(tmp_path / "exit_code")
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        # The run's record now points at a live process that is not the run: same pid
        # as far as the record goes, but a different start time.
        reused = ProcessIdentity(
            pid=other.pid, pgid=other.pid, start=ident.start, boot_id=ident.boot_id
        )
        assert process_start(other.pid) != ident.start
        assert ex.probe(reused) is ProcessState.GONE
        assert not ex.signal_group(reused, signal.SIGKILL)
        assert other.poll() is None  # the unrelated process was left alone
        # And a record from before a reboot is never alive.
        genuine = ProcessIdentity(
            other.pid, other.pid, process_start(other.pid) or "", "another-boot"
        )
        assert ex.probe(genuine) is ProcessState.GONE
    finally:
        other.kill()
        other.wait()


def test_missing_and_non_executable_commands_are_refused(tmp_path: Path) -> None:
    ex = LocalExecutor()
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    for argv, reason in (
        ([], "empty command"),
        (["no-such-program-xyz"], "command not found"),
        ([str(tmp_path / "missing")], "no such file"),
        ([str(script)], "not executable"),
    ):
        try:
            ex.check_command(argv)
        except Exception as exc:
            assert reason in str(exc)
        else:
            raise AssertionError(f"{argv} accepted")
    os.chmod(script, 0o755)
    ex.check_command([str(script)])
