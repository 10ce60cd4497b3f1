"""The queue worker: a detached ``tuitrain queue-worker`` that keeps the GPU queue
going while no tuitrain is open (the TUI closed, the CLI gone).

Queuing a run starts one unless one is alive. It is a singleton by an ``flock`` on
``$TUITRAIN_HOME/queue-worker.lock``, runs in its own session with its output in
``queue-worker.log``, launches queued runs as their GPUs free up, follows the runs it
launched until they are settled, then exits. Open tuitrains keep scheduling too: the
store's compare-and-set claim launches each run exactly once.

Exiting without losing a run queued meanwhile: the worker releases its lock *then*
looks at the queue again, while whoever queues a run writes it *then* looks at the
lock. Either the worker sees the run, or the queuer sees no lock and starts a worker.

For a remote host the worker runs here, on this machine: it must stay on (and
awake) for a remote queue to move.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from tuitrain.runs.events import RunEvent, StatusChanged
from tuitrain.runs.states import RunStatus
from tuitrain.store.experiments import ExperimentStore

log = logging.getLogger(__name__)

LOCK_FILE = "queue-worker.lock"
LOG_FILE = "queue-worker.log"
CHECK_INTERVAL_S = 1.0  # how often the worker asks itself whether it is done


def _open_lock(home: Path) -> IO[bytes]:
    home.mkdir(parents=True, exist_ok=True)
    return open(home / LOCK_FILE, "a+b")  # held for the worker's life


def try_lock(home: Path) -> IO[bytes] | None:
    """The worker's lock, held (released when the file is closed or the process
    ends), or None when another process holds it."""
    fh = _open_lock(home)
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        return None
    return fh


def worker_alive(home: Path) -> bool:
    """Whether a queue worker holds the lock of ``home`` now."""
    lock = try_lock(home)
    if lock is None:
        return True
    lock.close()
    return False


def start_queue_worker(home: Path) -> subprocess.Popen[bytes] | None:
    """Start a detached worker for ``home`` unless one is alive; its process if
    started. Two callers at once may both start one: the second exits at once."""
    if worker_alive(home):
        return None
    home.mkdir(parents=True, exist_ok=True)
    with open(home / LOG_FILE, "ab") as out:
        return subprocess.Popen(  # our own interpreter and module
            [sys.executable, "-m", "tuitrain", "queue-worker"],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the terminal and the tuitrain that started it
            env={**os.environ, "TUITRAIN_HOME": str(home)},
            cwd=str(home),
            close_fds=True,
        )


class QueueWorkerStarter:
    """The manager's hook, called after a run is queued: ``start_queue_worker(home)``."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self._started: subprocess.Popen[bytes] | None = None

    def __call__(self) -> None:
        if self._started is not None and self._started.poll() is None:
            return  # ours is starting (not holding the lock yet) or running
        try:
            self._started = start_queue_worker(self.home)
            if self._started is not None:
                log.info("started the queue worker for %s", self.home)
        except OSError as exc:  # the queue still moves while a tuitrain is open
            log.warning("cannot start the queue worker: %s", exc)


@contextlib.contextmanager
def _logging_to_stderr() -> Iterator[None]:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s queue-worker[%(process)d] %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    old = root.level
    root.setLevel(logging.INFO)
    try:
        yield
    finally:
        root.removeHandler(handler)
        root.setLevel(old)


def run_queue_worker(home: Path) -> int:
    """The ``tuitrain queue-worker`` command: 0 when the queue is done (or another
    worker has it), 1 when it could not open the store."""
    with _logging_to_stderr():
        lock = try_lock(home)
        if lock is None:
            log.info("another queue worker is running; nothing to do")
            return 0
        try:
            return asyncio.run(_serve(home, lock))
        finally:
            lock.close()


async def _serve(home: Path, lock: IO[bytes]) -> int:
    from tuitrain.engine import make_manager
    from tuitrain.store.db import StoreError

    try:
        manager = make_manager(home, queue_worker=None)  # it must not start itself
    except (StoreError, ValueError) as exc:  # ValueError: config.toml
        log.error("cannot open %s: %s", home, exc)
        return 1
    launched: set[int] = set()

    def note_launches(batch: list[RunEvent]) -> None:
        for event in batch:  # this process starts no run but queued ones
            if isinstance(event, StatusChanged) and event.status is RunStatus.STARTING:
                if event.experiment_id not in launched:
                    log.info("launching #%s", event.experiment_id)
                launched.add(event.experiment_id)

    manager.subscribe(note_launches)
    log.info("started; %s queued", len(manager.store.list_in([RunStatus.QUEUED])))
    try:
        await manager.open(follow=True)
        while True:
            await asyncio.sleep(CHECK_INTERVAL_S)
            await manager.events.flush()
            if not _done(manager.store, launched):
                continue
            # Release, then look again: a run queued meanwhile is seen here, or its
            # queuer saw no lock and started a worker of its own.
            fcntl.flock(lock, fcntl.LOCK_UN)
            if not manager.store.list_in([RunStatus.QUEUED]):
                break
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                log.info("a new queue worker took over")
                break
        log.info("queue empty and %s launched run(s) settled; exiting", len(launched))
        return 0
    finally:
        await manager.close()
        manager.store.db.dispose()


def _done(store: ExperimentStore, launched: set[int]) -> bool:
    """No run is queued and every run this worker launched has ended."""
    if store.list_in([RunStatus.QUEUED]):
        return False
    return all(RunStatus(store.get(rid).status).is_terminal for rid in launched)
