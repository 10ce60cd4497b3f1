"""``tuitrain hosts``, ``hosts check``, ``run --host``, ``logs`` and ``fetch`` against the
test sshd, as a user runs them (the real CLI in a subprocess)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from tests.conftest import cli
from tests.remote.sshd import SshServer

ENVS = f'\n[hosts.gpu.environments]\nyolo = "{sys.executable}"\n'


def write_config(home: Path, sshd: SshServer, *more: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(sshd.hosts_toml() + ENVS + "".join(more))


def test_hosts_lists_each_host_reachable_or_why_not(home: Path, sshd: SshServer) -> None:
    write_config(
        home,
        sshd,
        sshd.hosts_toml("locked", "tuitrain-nokey"),
        sshd.hosts_toml("down", "tuitrain-closed"),
    )
    rows = {r["name"]: r for r in json.loads(cli(home, "hosts", "--json", check=True).stdout)}
    assert list(rows) == ["local", "gpu", "locked", "down"]
    assert rows["gpu"]["reachable"] and rows["gpu"]["gpus"] == "no GPU"
    assert rows["local"]["reachable"] and rows["local"]["target"] == "this machine"
    assert rows["locked"]["error"].startswith("authentication failed:")
    assert "tuitrain never prompts; set up a key or agent" in rows["locked"]["error"]
    assert (
        rows["down"]["error"] == "tuitrain-closed unreachable: connection refused "
        "(is sshd running, is the port right?)"
    )
    text = cli(home, "hosts", check=True).stdout
    assert "gpu" in text and "reachable  ·  no GPU  ·  none running" in text


def test_hosts_check_runs_ordered_checks(home: Path, sshd: SshServer) -> None:
    write_config(home, sshd)
    done = cli(home, "hosts", "check", "gpu", "--json")
    steps = json.loads(done.stdout)
    names = [s["step"] for s in steps]
    assert names[:4] == ["ssh", "workdir", "tools", "python3"]
    assert all(s["ok"] for s in steps[:4]), steps
    assert steps[1]["text"] == f"{sshd.workdir} writable"
    yolo = [s for s in steps if s["step"] == "yolo"]
    assert yolo[0]["ok"] and yolo[0]["text"].startswith("python 3.")
    # The dev venv has no torch: the missing package is named, with the pip command.
    torch = next(s for s in yolo if s["text"].startswith("torch"))
    assert not torch["ok"] and "ModuleNotFoundError" in torch["text"]
    assert done.returncode == 1


def test_hosts_check_explains_auth_and_refused(home: Path, sshd: SshServer) -> None:
    write_config(
        home,
        sshd,
        sshd.hosts_toml("locked", "tuitrain-nokey"),
        sshd.hosts_toml("down", "tuitrain-closed"),
    )
    locked = cli(home, "hosts", "check", "locked")
    assert locked.returncode == 1
    first = locked.stdout.splitlines()[0]
    assert first.startswith("FAIL ssh: authentication failed: ")
    assert "fix: ssh-copy-id tuitrain-nokey" in locked.stdout
    down = cli(home, "hosts", "check", "down")
    assert "connection refused" in down.stdout and "fix: start sshd on the host" in down.stdout
    unknown = cli(home, "hosts", "check", "nope")
    assert unknown.returncode == 2 and "unknown host 'nope'" in unknown.stdout


def test_a_bad_hosts_entry_is_one_line_naming_the_key(home: Path, sshd: SshServer) -> None:
    write_config(home, sshd, '[hosts.bad]\nssh = "x"\nworkdri = "/tmp"\n')
    done = cli(home, "ls")
    assert done.returncode == 2
    assert done.stderr.strip().startswith("tuitrain: error: config.toml: hosts.bad.workdri is not")


def test_run_on_a_host_then_logs_and_unreachable_run(home: Path, sshd: SshServer) -> None:
    write_config(home, sshd, sshd.hosts_toml("down", "tuitrain-closed"))
    code = "for i in range(3): print(f'step {i} loss: {1 / (i + 1):.3f}', flush=True)"
    rid = cli(
        home, "run", "--name", "cli", "--host", "gpu", "--", sys.executable, "-c", code, check=True
    ).stdout.strip()
    assert cli(home, "wait", rid).returncode == 0
    logs = cli(home, "logs", rid, "--follow", check=True).stdout
    assert logs.splitlines() == ["step 0 loss: 1.000", "step 1 loss: 0.500", "step 2 loss: 0.333"]
    shown = json.loads(cli(home, "show", rid, "--json", check=True).stdout)
    assert shown["host"] == "gpu" and shown["metrics"]["loss"] == 0.333
    down = cli(home, "run", "--name", "x", "--host", "down", "--", "true")
    assert down.returncode == 2
    assert down.stderr.strip() == (
        "tuitrain: error: tuitrain-closed unreachable: connection refused "
        "(is sshd running, is the port right?)"
    )
    assert [e["name"] for e in json.loads(cli(home, "ls", "--json").stdout)] == ["cli"]
