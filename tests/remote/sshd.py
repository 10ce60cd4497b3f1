"""A real OpenSSH server on 127.0.0.1 for the tests: throwaway host and user keys,
its own config, run as the current user (root or not) with ``sshd -D``.

Clients reach it through an ``ssh_config`` with aliases, so the tests go through the
alias path users rely on: ``tuitrain-test`` (key), ``tuitrain-nokey`` (no key, so the
server would want a password) and ``tuitrain-closed`` (a port nobody listens on).
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

SSHD = "/usr/sbin/sshd"
READY_TIMEOUT_S = 15.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_sshd() -> None:
    """Skip without sshd and ssh, except under CI where they must be installed."""
    missing = [p for p in (SSHD, shutil.which("ssh"), shutil.which("ssh-keygen")) if not p]
    if os.path.exists(SSHD) and not missing:
        return
    why = "OpenSSH (openssh-server, openssh-client) is not installed; .ci/run installs it"
    if os.environ.get("CI") == "true":
        pytest.fail(why)
    pytest.skip(why)


@dataclass
class SshServer:
    root: Path
    port: int = 0
    closed_port: int = 0
    proc: subprocess.Popen[bytes] | None = None
    user: str = field(default_factory=getpass.getuser)

    @property
    def ssh_config(self) -> Path:
        return self.root / "ssh_config"

    @property
    def workdir(self) -> Path:
        """The "remote" host's work folder (the same disk: it is 127.0.0.1)."""
        return self.root / "remote-work"

    def setup(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.port, self.closed_port = free_port(), free_port()
        for name in ("host_key", "user_key"):
            subprocess.run(
                ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(self.root / name)],
                check=True,
                stdin=subprocess.DEVNULL,
            )
        (self.root / "authorized_keys").write_text((self.root / "user_key.pub").read_text())
        (self.root / "sshd_config").write_text(
            f"""Port {self.port}
ListenAddress 127.0.0.1
HostKey {self.root}/host_key
PidFile {self.root}/sshd.pid
AuthorizedKeysFile {self.root}/authorized_keys
StrictModes no
UsePAM no
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication yes
KbdInteractiveAuthentication no
MaxStartups 100
MaxSessions 100
LogLevel ERROR
"""
        )
        common = f"""  HostName 127.0.0.1
  User {self.user}
  UserKnownHostsFile {self.root}/known_hosts
  StrictHostKeyChecking accept-new
  LogLevel ERROR
"""
        self.ssh_config.write_text(
            f"""Host tuitrain-test
  Port {self.port}
  IdentityFile {self.root}/user_key
  IdentitiesOnly yes
{common}
Host tuitrain-nokey
  Port {self.port}
  IdentityFile {self.root}/no_such_key
  IdentitiesOnly yes
  IdentityAgent none
  PubkeyAuthentication no
{common}
Host tuitrain-closed
  Port {self.closed_port}
{common}"""
        )
        self.workdir.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)  # sshd's privsep folder

    def start(self) -> None:
        log = open(self.root / "sshd.log", "ab")  # noqa: SIM115 (kept by the process)
        self.proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(self.root / "sshd_config")],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"sshd exited {self.proc.returncode}: {(self.root / 'sshd.log').read_text()}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.02)  # polling a port: there is no event to await
        raise RuntimeError("sshd did not listen in time")

    def stop(self) -> None:
        """Stop listening (sessions already open keep going, as with a real sshd)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def ssh(self, *remote: str) -> subprocess.CompletedProcess[str]:
        """A plain ssh command to the test alias (for checks from the test itself)."""
        return subprocess.run(
            ["ssh", "-F", str(self.ssh_config), "-o", "BatchMode=yes", "tuitrain-test", *remote],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            timeout=30,
        )

    def hosts_toml(self, name: str = "gpu", alias: str = "tuitrain-test", **extra: str) -> str:
        lines = [
            f"[hosts.{name}]",
            f'ssh = "{alias}"',
            f'ssh_config = "{self.ssh_config}"',
            f'workdir = "{self.workdir}"',
            "connect_timeout = 5",
            *(f"{k} = {v}" for k, v in extra.items()),
        ]
        return "\n".join(lines) + "\n"
