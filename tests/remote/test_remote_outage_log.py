"""While a host is down, reconcile retries its runs every few seconds: the outage is
logged once (not at each retry), and once more when the host answers again."""

from __future__ import annotations

import asyncio
import logging
import sys
import time

import pytest

from tests.remote.sshd import SshServer
from tests.remote.test_remote_stop import LONG, ssh_executor, unreachable
from tuitrain.runs.manager import TrainingManager

MANAGER_LOG = "tuitrain.runs.manager"


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == MANAGER_LOG and r.levelno >= logging.WARNING
    ]


async def followed_once(manager: TrainingManager, rid: int) -> None:
    """One reconcile pass, and the follower it (re)starts run until it pauses."""
    await manager.reconcile()
    task = manager._followers.get(rid)
    if task is not None:
        await task


async def test_an_outage_is_logged_once_and_its_end_once(
    remote_manager: TrainingManager, sshd: SshServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=MANAGER_LOG)
    rid = await remote_manager.start_training(
        {"name": "outage", "host": "gpu", "command": [sys.executable, "-c", LONG]}
    )
    executor = ssh_executor(remote_manager)
    with unreachable(executor, sshd):
        for _ in range(4):
            await followed_once(remote_manager, rid)
        down = warnings_of(caplog)
    assert len(down) == 1, down
    assert down[0].startswith("host gpu unreachable; its runs wait until it answers (")
    # Back: the next follower's catch-up says so, once.
    await remote_manager.reconcile()
    deadline = time.monotonic() + 30
    while len(warnings_of(caplog)) < 2:  # no event to await: the follower's own loop
        assert time.monotonic() < deadline, warnings_of(caplog)
        await asyncio.sleep(0.05)
    for _ in range(3):
        await remote_manager.reconcile()
    assert warnings_of(caplog)[1:] == ["host gpu answers again; following its runs"]
    assert await remote_manager.stop_training(rid)
