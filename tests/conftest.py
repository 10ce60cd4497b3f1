from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tuitrain.engine import make_manager
from tuitrain.runs.manager import TrainingManager

TESTS = Path(__file__).parent
FIXTURES = TESTS / "fixtures" / "outputs"
REPLAY = TESTS / "helpers" / "replay.py"
# A manager that polls, reconciles and stops quickly: what tests wait for comes soon.
FAST_ENGINE: dict[str, Any] = {
    "poll_interval": 0.05,
    "reconcile_interval": 0.5,
    "grace_period": 2.0,
    "flush_interval": 0.02,
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private TUITRAIN_HOME for this test."""
    home = tmp_path / "home"
    monkeypatch.setenv("TUITRAIN_HOME", str(home))
    yield home


@pytest.fixture
async def manager(home: Path) -> AsyncIterator[TrainingManager]:
    mgr = make_manager(home, **FAST_ENGINE)
    await mgr.open()
    yield mgr
    await mgr.close()
    mgr.store.db.dispose()


def cli(
    home: Path, *args: str, timeout: float = 120, check: bool = False
) -> subprocess.CompletedProcess[str]:
    """Run the real ``tuitrain`` CLI in a subprocess."""
    env = {**os.environ, "TUITRAIN_HOME": str(home)}
    proc = subprocess.run(
        [sys.executable, "-m", "tuitrain", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"tuitrain {' '.join(args)} -> {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc


def py(code: str) -> list[str]:
    """A command running a Python snippet in a child process."""
    return [sys.executable, "-c", code]


def replay(fixture: str, *options: str) -> list[str]:
    return [sys.executable, str(REPLAY), str(FIXTURES / fixture), *options]
