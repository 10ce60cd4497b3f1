"""The TrainingManager: starts, follows, stops and reconciles runs (asyncio, no UI).

Runs are detached processes; the manager only ever learns about them through the
executor and the run folder, so a manager that starts later, in another process, or
after a crash, sees exactly what one that watched all along would have seen.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tuitrain.executors.base import Executor
from tuitrain.executors.local import LocalExecutor
from tuitrain.metrics import MetricPoint
from tuitrain.runs.config import ConfigError
from tuitrain.runs.events import (
    EventHub,
    Listener,
    MetricsUpdated,
    RunFinished,
    StatusChanged,
    Subscription,
)
from tuitrain.runs.following import (
    ACTIVE,
    LOST_MESSAGE,
    STARTING_TIMEOUT_S,
    identity_of,
)
from tuitrain.runs.launching import RUN_DIR_PLACEHOLDER
from tuitrain.runs.queue import GpuQueue
from tuitrain.runs.queueing import QUEUE_INTERVAL_S, GpuQueueing
from tuitrain.runs.states import RunStatus
from tuitrain.store.db import Database
from tuitrain.store.experiments import ExperimentStore
from tuitrain.store.models import Experiment, now

__all__ = [
    "ACTIVE",
    "LOST_MESSAGE",
    "QUEUE_INTERVAL_S",
    "RUN_DIR_PLACEHOLDER",
    "STARTING_TIMEOUT_S",
    "StopFailed",
    "TrainingManager",
    "identity_of",
]

log = logging.getLogger(__name__)

INGEST_NICENESS = 10


def _lower_thread_priority() -> None:
    """Nice the calling thread (Linux schedules threads individually)."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), INGEST_NICENESS)


class StopFailed(OSError):
    """A stop that could not reach the run's host; the message says what was done."""


def _unreachable(host: str, exc: OSError, outcome: str) -> str:
    """``gpu1 unreachable: connection refused; <outcome>`` (one line)."""
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    reason = reason.split(" unreachable: ", 1)[-1].removeprefix(f"{host}: ")
    return f"{host} unreachable: {reason}; {outcome}"


class TrainingManager(GpuQueueing):
    """The parts live in their own modules: ``following.py`` (ingest, settle),
    ``launching.py`` (start a run) and ``queueing.py`` (the GPU queue); this one
    reconciles, stops, restarts and waits, and owns the lifecycle."""

    def __init__(
        self,
        db: Database,
        runs_root: Path,
        executors: dict[str, Executor] | None = None,
        poll_interval: float = 0.5,
        reconcile_interval: float = 5.0,
        grace_period: float = 10.0,
        flush_interval: float = 0.2,
        queue_interval: float = QUEUE_INTERVAL_S,
        queue_worker: Callable[[], object] | None = None,
    ) -> None:
        """``queue_worker``: called when a run is queued, and on close while runs are
        queued, to keep the queue moving with no tuitrain open (``make_manager``
        gives the detached ``tuitrain queue-worker``; None: only open managers)."""
        self.store = ExperimentStore(db)
        self.runs_root = runs_root
        self.executors: dict[str, Executor] = executors or {"local": LocalExecutor()}
        self.poll_interval = poll_interval
        self.reconcile_interval = reconcile_interval
        self.grace_period = grace_period
        self.events = EventHub(flush_interval)
        self._followers: dict[int, asyncio.Task[None]] = {}
        self._reconciler: asyncio.Task[None] | None = None
        self.queue = GpuQueue(self.store, self.executors)
        self.queue_interval = queue_interval
        self.queue_worker = queue_worker
        self._scheduler: asyncio.Task[None] | None = None
        self._queue_wakeup = asyncio.Event()
        self._schedule_lock = asyncio.Lock()
        self._finished: dict[int, asyncio.Event] = {}
        # Runs whose end this manager is settling (final state, then models registered).
        self._settling: set[int] = set()
        self._hosts_down: set[str] = set()  # logged as unreachable, not yet back
        # Parsing and storing run on low-priority threads: a run must never be slowed
        # down by the tuitrain that watches it.
        self._ingest_pool = ThreadPoolExecutor(
            max_workers=2, thread_name_prefix="ingest", initializer=_lower_thread_priority
        )

    # -- lifecycle -------------------------------------------------------------------
    async def open(self, follow: bool = True) -> None:
        """Reconcile what happened while no tuitrain was watching, then (``follow``)
        keep following active runs and reconciling periodically."""
        await self.reconcile()
        if follow:
            for exp in self.store.list_in(ACTIVE):
                self._follow(exp)
            self._reconciler = asyncio.create_task(self._reconcile_forever(), name="reconcile")
            self._scheduler = asyncio.create_task(self._schedule_forever(), name="gpu-queue")

    async def close(self) -> None:
        """Stop watching. Runs keep going: they are not our children in any way."""
        tasks = list(self._followers.values())
        if self._reconciler is not None:
            tasks.append(self._reconciler)
        if self._scheduler is not None:
            tasks.append(self._scheduler)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._followers.clear()
        if self.queue_worker is not None and self.store.list_in([RunStatus.QUEUED]):
            await asyncio.to_thread(self.queue_worker)  # nobody else may be left to start them
        await self.events.close()
        self._ingest_pool.shutdown(wait=False, cancel_futures=True)

    def subscribe(self, listener: Listener) -> Subscription:
        return self.events.subscribe(listener)

    # -- the seed's API (start_training is in launching.py) ---------------------------
    def get_experiment(self, experiment_id: int) -> Experiment:
        return self.store.get(experiment_id)

    def list_experiments(self, project_id: int | None = None) -> list[Experiment]:
        return self.store.list_all(project_id)

    def update_experiment_status(self, experiment_id: int, status: RunStatus | str) -> None:
        new = RunStatus(status)
        fields: dict[str, Any] = {"completed_at": now()} if new.is_terminal else {}
        self.store.transition(experiment_id, new, "set by API", **fields)
        self.events.publish(StatusChanged(experiment_id, new))

    def update_training_metrics(
        self,
        experiment_id: int,
        metrics: dict[str, float],
        step: int | None = None,
        epoch: int | None = None,
    ) -> None:
        """Record metrics reported directly (not read from the run folder)."""
        points = [MetricPoint(k, float(v), step, epoch, time.time()) for k, v in metrics.items()]
        version, _ = self.store.cursor(experiment_id, "api")
        self.store.commit_batch(experiment_id, "api", version, {"n": version + 1}, points, None)
        self.events.publish(MetricsUpdated(experiment_id, tuple(points)))

    async def stop_training(self, experiment_id: int) -> bool:
        """SIGTERM to the run's process group, SIGKILL after the grace period; STOPPED."""
        exp = self.store.get(experiment_id)
        status = RunStatus(exp.status)
        if status in (RunStatus.PENDING, RunStatus.QUEUED):
            stopped = self.store.transition(
                experiment_id,
                RunStatus.STOPPED,
                "stopped before start",
                expect=(RunStatus.PENDING, RunStatus.QUEUED),  # not if just launched
                completed_at=now(),
            )
            if stopped is not None:
                self.events.publish(
                    StatusChanged(experiment_id, RunStatus.STOPPED),
                    RunFinished(experiment_id, RunStatus.STOPPED, False, "stopped"),
                )
                self.wake_queue()  # the runs behind it may start now
                return True
            exp = self.store.get(experiment_id)
            status = RunStatus(exp.status)
        if not status.is_active:
            return False
        self.store.update(experiment_id, stop_requested=True)
        ident = identity_of(exp)
        executor = self.executor_for(exp.host)
        if ident is not None:
            try:
                await asyncio.to_thread(executor.signal_group, ident, signal.SIGTERM)
            except OSError as exc:  # the host cannot be reached: nothing was sent
                self.store.update(experiment_id, stop_requested=False)
                raise StopFailed(_unreachable(exp.host, exc, "the run was not stopped")) from exc
        try:
            if ident is not None and not await self._wait_gone(executor, ident, self.grace_period):
                await asyncio.to_thread(executor.signal_group, ident, signal.SIGKILL)
                await self._wait_gone(executor, ident, 10.0)
            await self._finalize(experiment_id)
        except OSError as exc:  # lost after SIGTERM was sent; settled when it answers
            raise StopFailed(_unreachable(exp.host, exc, "SIGTERM was sent")) from exc
        return True

    async def restart_training(self, experiment_id: int) -> int:
        """A finished run again, as a new experiment with the same config."""
        exp = self.store.get(experiment_id)
        if not RunStatus(exp.status).is_terminal:
            raise ConfigError(
                f"experiment {experiment_id} is {exp.status}; only finished runs restart"
            )
        config = json.loads(exp.config_json)
        config["restarted_from"] = experiment_id
        return await self.start_training(config)

    async def wait(self, experiment_id: int) -> Experiment:
        """Until the run has ended (following it meanwhile); its final record."""
        exp = self.store.get(experiment_id)
        while not RunStatus(exp.status).is_terminal:
            if exp.status == RunStatus.QUEUED:
                # Settle runs that ended (maybe unwatched), then start it if its GPUs
                # are free; else look again when a run ends or after a while.
                await self.reconcile()
                exp = self.store.get(experiment_id)
                if exp.status == RunStatus.QUEUED:
                    await self._queue_woken()
                    self._queue_wakeup.clear()
                    continue
            if experiment_id not in self._followers:
                self._follow(exp)
            event = self._finished.setdefault(experiment_id, asyncio.Event())
            # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancel that
            # comes as the event is set, and this loop would never end.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.reconcile_interval):
                    await event.wait()
            exp = self.store.get(experiment_id)
        # The record says it ended; this manager may still be registering its models.
        while experiment_id in self._settling:
            event = self._finished.setdefault(experiment_id, asyncio.Event())
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.reconcile_interval):
                    await event.wait()
        return self.store.get(experiment_id)

    # -- reconciling -----------------------------------------------------------------
    async def reconcile(self) -> list[int]:
        """Settle runs whose process is gone; pick up runs started elsewhere.
        Returns the ids whose state changed."""
        changed: list[int] = []
        for exp in self.store.list_in((*ACTIVE, RunStatus.LOST)):
            assert exp.id is not None
            executor = self.executors.get(exp.host)
            if executor is None:
                continue
            try:
                if exp.status == RunStatus.LOST:
                    if await asyncio.to_thread(executor.read_exit_code, exp.run_dir):
                        await self._finalize(exp.id)
                        changed.append(exp.id)
                    continue
                if await self._process_gone(executor, exp):
                    await self._finalize(exp.id)
                    changed.append(exp.id)
                elif self._reconciler is not None:
                    self._follow(exp)
            except OSError as exc:  # that host is unreachable now; the others go on
                self._host_unreachable(exp.host, f"reconciling run {exp.id}", exc)
        changed += await self.schedule()  # runs that ended elsewhere may free GPUs
        return changed

    async def _reconcile_forever(self) -> None:
        while True:
            await asyncio.sleep(self.reconcile_interval)
            try:
                await self.reconcile()
            except Exception:
                log.exception("reconcile failed")
