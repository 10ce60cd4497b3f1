"""Commands sent over SSH are quoted argument by argument: nothing reaches a shell."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.remote.sshd import SshServer
from tuitrain.executors.ssh_connection import SshConnection, remote_command, shell_script
from tuitrain.runs.manager import TrainingManager
from tuitrain.runs.states import RunStatus

NASTY = [
    "a; rm -rf ~",
    "with space",
    "it's",
    'say "hi"',
    "$HOME",
    "`id`",
    "$(id)",
    "back\\slash",
    "semi;colon && echo pwned | cat > /tmp/x",
    "*",
    "~",
    "new\nline",
    "",
    "-n",
    "tab\there",
    "ünïcödé",
]
ECHO_ARGV = "import json, sys; print('ARGV ' + json.dumps(sys.argv[1:]), flush=True)"


def test_remote_command_quotes_each_argument_for_a_posix_shell() -> None:
    line = remote_command(["echo", *NASTY])
    assert shlex.split(line) == ["echo", *NASTY]
    # The same line run by a real sh gives the arguments back exactly.
    out = subprocess.run(
        ["sh", "-c", remote_command([sys.executable, "-c", ECHO_ARGV, *NASTY])],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert json.loads(out.removeprefix("ARGV ")) == NASTY


def test_remote_command_refuses_an_empty_command() -> None:
    with pytest.raises(ValueError, match="empty"):
        remote_command([])


def test_shell_script_passes_values_as_arguments_never_in_the_script() -> None:
    argv = shell_script('printf "%s|" "$@"', "a b", "$x")
    assert argv[:2] == ["sh", "-c"] and argv[-2:] == ["a b", "$x"]


def test_arguments_reach_the_remote_command_intact(sshd: SshServer) -> None:
    conn = SshConnection("tuitrain-test", config_file=str(sshd.ssh_config))
    done = conn.run([sys.executable, "-c", ECHO_ARGV, *NASTY])
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.decode().removeprefix("ARGV ")) == NASTY


async def test_a_run_named_like_a_command_is_just_a_name(
    remote_manager: TrainingManager, sshd: SshServer, tmp_path: Path
) -> None:
    canary = tmp_path / "canary"
    canary.write_text("still here")
    rid = await remote_manager.start_training(
        {
            "name": f"a; rm -rf {canary}",
            "host": "gpu",
            "command": [sys.executable, "-c", ECHO_ARGV, *NASTY],
            "env": {"ODD": "x; rm -rf ~ `id` $(id) 'q' \"d\""},
        }
    )
    exp = await remote_manager.wait(rid)
    assert exp.status == RunStatus.COMPLETED, exp.error_summary
    assert exp.name == f"a; rm -rf {canary}"
    assert canary.read_text() == "still here"
    log = sshd.ssh("cat", f"{exp.run_dir}/output.log").stdout
    assert json.loads(log.split("ARGV ", 1)[1]) == NASTY
