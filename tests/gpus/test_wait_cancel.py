"""``TrainingManager.wait`` ends when cancelled, even when the run's finished event is
set in the same instant: on Python 3.11 ``asyncio.wait_for`` swallowed such a cancel
and the loop waited on forever (a Ctrl-C of ``tuitrain wait`` that did nothing)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.gpus.support import child
from tuitrain.runs.manager import TrainingManager
from tuitrain.runs.states import RunStatus


async def test_a_cancel_as_the_run_finishes_is_not_swallowed(
    manager: TrainingManager, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    rid = await manager.start_training({"name": "long", "command": child(release)})
    try:
        waiting = asyncio.create_task(manager.wait(rid))
        while rid not in manager._finished:  # wait() is about to await the event
            await asyncio.sleep(0.01)
        for _ in range(3):
            await asyncio.sleep(0)  # ... and now awaits it
        manager._signal_finished(rid)  # as when the run ends
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(waiting), timeout=10)
        assert waiting.cancelled()
    finally:
        release.touch()
    assert (await manager.wait(rid)).status == RunStatus.COMPLETED
