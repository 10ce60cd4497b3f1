"""The executors of every configured host, and this installation's id."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from tuitrain.executors.base import Executor
from tuitrain.executors.local import LocalExecutor
from tuitrain.executors.ssh import SshExecutor
from tuitrain.executors.ssh_connection import SshConnection
from tuitrain.hosts.config import HostConfig, load_hosts
from tuitrain.paths import runs_dir

INSTALL_ID_FILE = "install_id"


def install_id(home: Path) -> str:
    """A short random id of this ``TUITRAIN_HOME``, made once. Remote run folders are
    named ``<install id>-<experiment id>``: two laptops sharing a host never collide."""
    path = home / INSTALL_ID_FILE
    with contextlib.suppress(FileNotFoundError):
        found = path.read_text().strip()
        if found:
            return found
    home.mkdir(parents=True, exist_ok=True)
    new = secrets.token_hex(4)
    tmp = home / f".{INSTALL_ID_FILE}.{os.getpid()}.{new}"
    tmp.write_text(new + "\n")
    try:
        os.link(tmp, path)  # first writer wins, even with several processes at once
    except FileExistsError:
        pass
    finally:
        tmp.unlink()
    return path.read_text().strip()


def connection_for(host: HostConfig) -> SshConnection:
    return SshConnection(
        target=host.ssh,
        options=host.ssh_options,
        config_file=host.ssh_config,
        connect_timeout=host.connect_timeout,
    )


def executor_for(host: HostConfig, home: Path) -> Executor:
    if host.is_local:
        return LocalExecutor()
    return SshExecutor(
        host.name,
        connection_for(host),
        workdir=host.workdir,
        install_id=install_id(home),
        local_runs_root=runs_dir(home),
    )


def build_executors(home: Path) -> dict[str, Executor]:
    """One executor per host of ``home``'s config.toml (``local`` always)."""
    return {name: executor_for(host, home) for name, host in load_hosts(home).items()}
