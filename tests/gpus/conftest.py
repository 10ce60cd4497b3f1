"""In-process queue tests watch their own manager launch the queued runs: no detached
queue worker (tests/gpus/test_queue_worker.py tests that one)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import FAST_ENGINE
from tuitrain.engine import make_manager
from tuitrain.runs.manager import TrainingManager


@pytest.fixture
async def manager(home: Path) -> AsyncIterator[TrainingManager]:
    mgr = make_manager(home, **FAST_ENGINE, queue_worker=None)
    await mgr.open()
    yield mgr
    await mgr.close()
    mgr.store.db.dispose()
