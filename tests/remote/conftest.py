"""Fixtures of the remote tests: one real sshd for the session, hosts files per test."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.conftest import FAST_ENGINE
from tests.remote.sshd import SshServer, require_sshd
from tuitrain.engine import make_manager
from tuitrain.executors.ssh_connection import SshConnection
from tuitrain.runs.manager import TrainingManager

ALIASES = ("tuitrain-test", "tuitrain-nokey", "tuitrain-closed")


@pytest.fixture(scope="session")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    require_sshd()
    server = SshServer(tmp_path_factory.mktemp("sshd"))
    server.setup()
    server.start()
    yield server
    for alias in ALIASES:  # the masters tuitrain left behind
        with contextlib.suppress(Exception):
            SshConnection(alias, config_file=str(server.ssh_config)).close()
    server.stop()


@pytest.fixture
def remote_home(home: Path, sshd: SshServer) -> Path:
    """A TUITRAIN_HOME whose config.toml has the host ``gpu`` (the test sshd)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(sshd.hosts_toml())
    return home


@pytest.fixture
async def remote_manager(remote_home: Path) -> AsyncIterator[TrainingManager]:
    mgr = make_manager(remote_home, **FAST_ENGINE)
    await mgr.open()
    yield mgr
    await mgr.close()
    mgr.store.db.dispose()
