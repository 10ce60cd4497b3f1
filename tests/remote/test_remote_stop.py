"""Stopping a run whose host cannot be reached: one line saying so, the run is left as
it was (not marked for a stop that never happened), and a later stop works."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FAST_ENGINE
from tests.remote.sshd import SshServer
from tests.ui.conftest import loaded, settle
from tuitrain.executors.ssh import SshExecutor
from tuitrain.executors.ssh_connection import SshConnection
from tuitrain.runs.manager import StopFailed, TrainingManager
from tuitrain.runs.states import RunStatus
from tuitrain.ui.app import make_app
from tuitrain.ui.screens.confirm import ConfirmScreen
from tuitrain.ui.widgets.live_experiments import LiveExperimentsTable

LONG = "import time\nprint('ready', flush=True)\ntime.sleep(120)\n"


@contextlib.contextmanager
def unreachable(executor: SshExecutor, sshd: SshServer) -> Iterator[None]:
    """The host's address answers no more (a port nobody listens on), then comes back."""
    real = executor.connection
    executor.connection = SshConnection("tuitrain-closed", config_file=str(sshd.ssh_config))
    try:
        yield
    finally:
        executor.connection = real


def ssh_executor(manager: TrainingManager) -> SshExecutor:
    executor = manager.executor_for("gpu")
    assert isinstance(executor, SshExecutor)
    return executor


async def test_a_stop_while_the_host_is_unreachable_says_so_and_changes_nothing(
    remote_manager: TrainingManager, sshd: SshServer
) -> None:
    rid = await remote_manager.start_training(
        {"name": "far", "host": "gpu", "command": [sys.executable, "-c", LONG]}
    )
    executor = ssh_executor(remote_manager)
    with unreachable(executor, sshd), pytest.raises(StopFailed) as caught:
        await remote_manager.stop_training(rid)
    message = str(caught.value)
    assert message.startswith("gpu unreachable: connection refused"), message
    assert message.endswith("; the run was not stopped") and "\n" not in message
    exp = remote_manager.get_experiment(rid)
    assert exp.status == RunStatus.RUNNING and not exp.stop_requested
    assert await remote_manager.stop_training(rid)  # the host is back
    assert remote_manager.get_experiment(rid).status == RunStatus.STOPPED


async def test_the_tui_notifies_a_stop_that_cannot_reach_the_host(
    remote_home: Path, sshd: SshServer
) -> None:
    app = make_app(remote_home, **FAST_ENGINE)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app))
        manager = app.manager
        rid = await manager.start_training(
            {"name": "far-tui", "host": "gpu", "command": [sys.executable, "-c", LONG]}
        )
        table = app.screen.query_one(LiveExperimentsTable)
        await settle(pilot, lambda: rid in table.shown_ids)
        table.move_cursor(row=table.shown_ids.index(rid))
        with unreachable(ssh_executor(manager), sshd):
            await pilot.press("s")
            assert isinstance(app.screen, ConfirmScreen)
            await pilot.press("y")
            await settle(pilot, lambda: len(app._notifications) > 0)
        messages = [n.message for n in app._notifications]
        assert messages == [
            f"Cannot stop #{rid}: gpu unreachable: connection refused (is sshd running, "
            "is the port right?); the run was not stopped"
        ]
        assert manager.get_experiment(rid).status == RunStatus.RUNNING
        assert await manager.stop_training(rid)
