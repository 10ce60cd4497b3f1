"""The detached queue worker, with real processes: runs queued by a CLI that has
exited still start when GPUs free up, with no tuitrain open."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import cli
from tests.gpus.support import child, write_gpu_config
from tuitrain.paths import database_path
from tuitrain.runs.queue_worker import LOG_FILE, worker_alive
from tuitrain.runs.states import RunStatus
from tuitrain.store.db import Database
from tuitrain.store.experiments import ExperimentStore

DEADLINE_S = 60.0


def until(what: str, ready: Callable[[], bool], timeout: float = DEADLINE_S) -> None:
    """Poll ``ready`` (the store, a lock: no event to await across processes)."""
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def store(home: Path) -> Iterator[ExperimentStore]:
    """The store read directly: no tuitrain reconciles or schedules from here."""
    write_gpu_config(home)
    cli(home, "ls", check=True)  # creates the database
    db = Database(database_path(home))
    yield ExperimentStore(db)
    db.dispose()


def status(store: ExperimentStore, rid: int) -> str:
    return store.get(rid).status


def test_a_queued_run_starts_after_the_cli_exits_and_the_worker_leaves(
    home: Path, store: ExperimentStore, tmp_path: Path
) -> None:
    release = [tmp_path / f"release-{i}" for i in range(3)]
    try:
        ids = [
            int(cli(home, "run", "--name", f"w{i}", "--gpus", "1", "--", *child(r)).stdout)
            for i, r in enumerate(release)
        ]
        first, second, third = ids
        assert [status(store, r) for r in ids] == ["RUNNING", "RUNNING", "QUEUED"]
        # The CLI has exited; the worker it started holds the lock.
        until("the queue worker", lambda: worker_alive(home))
        again = cli(home, "queue-worker", check=True)  # a second one leaves at once
        assert again.returncode == 0 and worker_alive(home)
        assert "another queue worker is running; nothing to do" in again.stderr

        freed = store.get(first).gpu_ids
        release[0].touch()
        until("the third run to start", lambda: status(store, third) == RunStatus.RUNNING)
        assert status(store, first) == RunStatus.COMPLETED
        assert store.get(third).gpu_ids == freed
        out = Path(store.get(third).run_dir, "output.log")
        until("the third run's output", lambda: out.exists() and "CVD=" in out.read_text())
        assert out.read_text().split()[0] == f"CVD={freed}"

        for rid, rel in ((second, release[1]), (third, release[2])):
            rel.touch()
            until(f"#{rid} to complete", lambda rid=rid: status(store, rid) == "COMPLETED")
        until("the worker to exit", lambda: not worker_alive(home))
        log = (home / LOG_FILE).read_text()
        assert f"launching #{third}" in log
        assert "queue empty and 1 launched run(s) settled; exiting" in log
        assert log.count("] started; ") == 1  # one worker for the whole queue
        states = [t.to_status for t in store.transitions(third)]
        assert states == ["PENDING", "QUEUED", "STARTING", "RUNNING", "COMPLETED"]
    finally:
        for rel in release:
            rel.touch()


def test_runs_that_start_at_once_start_no_worker(home: Path, store: ExperimentStore) -> None:
    rid = int(cli(home, "run", "--name", "now", "--gpus", "1", "--", "true", check=True).stdout)
    assert status(store, rid) in ("RUNNING", "COMPLETED")
    assert not worker_alive(home)
    assert not (home / LOG_FILE).exists()
