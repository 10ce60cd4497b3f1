"""The headless CLI contract, through the real ``tuitrain`` command."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

from tests.conftest import cli, py

LOOP = "import time\nfor i in range(4):\n    print(f'step {i} loss: {0.5 / (i + 1):.4f}', flush=True)\n"


def test_run_returns_at_once_and_the_run_is_followed_by_later_commands(home: Path) -> None:
    started = cli(
        home,
        "run",
        "--name",
        "cli",
        "--parser",
        "regex",
        "--set",
        "lr=0.01",
        "--set",
        "opt=adam",
        "--",
        *py(LOOP),
        check=True,
    )
    rid = started.stdout.strip()
    assert rid == "1"
    waited = cli(home, "wait", rid)
    assert waited.returncode == 0, waited.stderr
    assert waited.stdout.strip() == "1 COMPLETED"
    shown = json.loads(cli(home, "show", rid, "--json", check=True).stdout)
    assert shown["status"] == "COMPLETED" and shown["exit_code"] == 0
    assert shown["metrics"]["loss"] == 0.125
    assert shown["config"]["params"] == {"lr": 0.01, "opt": "adam"}
    listed = json.loads(cli(home, "ls", "--json", check=True).stdout)
    assert [e["id"] for e in listed] == [1]
    table = cli(home, "ls", check=True).stdout.splitlines()
    assert table[0].split()[:5] == ["ID", "NAME", "FRAMEWORK", "HOST", "STATUS"]
    assert "COMPLETED" in table[1]
    rows = list(csv.reader(io.StringIO(cli(home, "metrics", rid, "--csv", check=True).stdout)))
    assert rows[0] == ["name", "step", "epoch", "value"]
    assert [r for r in rows[1:] if r[0] == "loss"] == [
        ["loss", "0", "", "0.5"],
        ["loss", "1", "", "0.25"],
        ["loss", "2", "", "0.1667"],
        ["loss", "3", "", "0.125"],
    ]
    logs = cli(home, "logs", rid, check=True).stdout
    assert logs.count("loss:") == 4
    human = cli(home, "show", rid, check=True).stdout
    assert "[COMPLETED]" in human and "loss = 0.125" in human


def test_wait_exits_non_zero_for_a_failed_run(home: Path) -> None:
    rid = cli(
        home, "run", "--name", "bad", "--", *py("raise SystemExit('boom: bad config')"), check=True
    ).stdout.strip()
    waited = cli(home, "wait", rid)
    assert waited.returncode == 1
    assert waited.stdout.strip() == f"{rid} FAILED (exit code 1)"
    assert "boom: bad config" in waited.stderr


def test_stop_and_logs_follow(home: Path) -> None:
    code = "import time\nprint('started', flush=True)\ntime.sleep(120)\n"
    rid = cli(home, "run", "--name", "long", "--", *py(code), check=True).stdout.strip()
    stopped = cli(home, "stop", rid)
    assert stopped.returncode == 0, stopped.stderr
    assert stopped.stdout.strip() == f"{rid} STOPPED"
    follow = cli(home, "logs", rid, "--follow", timeout=30)
    assert follow.returncode == 0
    again = cli(home, "stop", rid)
    assert again.returncode != 0 and "not running" in again.stderr


def test_restart(home: Path) -> None:
    rid = cli(home, "run", "--name", "r", "--", *py("print('hi')"), check=True).stdout.strip()
    cli(home, "wait", rid, check=True)
    new = cli(home, "restart", rid, check=True).stdout.strip()
    assert new == "2"
    assert cli(home, "wait", new).returncode == 0
    assert json.loads(cli(home, "show", new, "--json").stdout)["restarted_from"] == 1


def test_bad_input_gets_one_line_and_leaves_nothing(home: Path) -> None:
    cases = [
        (["run", "--name", "x", "--bogus", "--", "true"], "unrecognized arguments"),
        (["run", "--name", "x", "--"], "empty command"),
        (["run", "--name", "x"], "empty command"),
        (["run", "--name", "x", "--", "no-such-exe-abc"], "command not found"),
        (["run", "--name", "x", "--pattern", "loss=([0-9", "--", "true"], "loss"),
        (["run", "--name", "x", "--pattern", "novalue", "--", "true"], "NAME=VALUE"),
        (["run", "--name", "x", "--parser", "wat", "--", "true"], "unknown parser"),
        (["show", "42"], "no experiment with id 42"),
        (["wait", "42"], "no experiment with id 42"),
        (["stop", "42"], "no experiment with id 42"),
        (["logs", "42"], "no experiment with id 42"),
        (["metrics", "42", "--csv"], "no experiment with id 42"),
        (["show", "abc"], "invalid int value"),
        (["frobnicate"], "invalid choice"),
    ]
    for args, reason in cases:
        proc = cli(home, *args)
        assert proc.returncode != 0, args
        err = proc.stderr.strip().splitlines()
        assert len(err) == 1, (args, proc.stderr)
        assert err[0].startswith("tuitrain: error:") and reason in err[0], (args, err)
        assert proc.stdout == ""
    assert json.loads(cli(home, "ls", "--json", check=True).stdout) == []


def test_python_dash_m_and_console_script_agree(home: Path) -> None:
    script = Path(sys.executable).with_name("tuitrain")
    assert script.exists()
    import subprocess

    out = subprocess.run([str(script), "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("tuitrain ")
    assert cli(home, "--version").stdout == out.stdout


def test_models_lists_nothing_for_a_custom_run_and_refuses_unknown_ids(home: Path) -> None:
    rid = cli(home, "run", "--name", "m", "--", *py("print('x')"), check=True).stdout.strip()
    cli(home, "wait", rid, check=True)
    assert json.loads(cli(home, "models", rid, "--json", check=True).stdout) == []
    missing = cli(home, "models", "77")
    assert missing.returncode == 2 and "no experiment with id 77" in missing.stderr


def test_a_framework_run_without_command_is_built_by_its_recipe(home: Path) -> None:
    bad = cli(home, "run", "--name", "y", "--framework", "yolo", "--set", "epochs=0")
    assert bad.returncode == 2 and "data is required" in bad.stderr
    assert json.loads(cli(home, "ls", "--json", check=True).stdout) == []


def test_dataset_option_refuses_what_cannot_run(home: Path, tmp_path: Path) -> None:
    for args, reason in (
        (["--framework", "yolo", "--dataset", "9"], "no dataset with id 9"),
        (["--framework", "yolo", "--dataset", str(tmp_path / "none.yaml")], "none.yaml"),
        (["--framework", "nope", "--dataset", "1"], "unknown framework"),
        (["--dataset", "1", "--", "true"], "--dataset goes with --framework"),
    ):
        proc = cli(home, "run", "--name", "d", *args)
        assert proc.returncode == 2, (args, proc.stderr)
        assert reason in proc.stderr, (args, proc.stderr)
    assert json.loads(cli(home, "ls", "--json", check=True).stdout) == []
