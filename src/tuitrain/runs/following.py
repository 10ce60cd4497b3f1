"""Following runs: ingesting their output as it comes, noticing their process is gone,
and settling their final state (the part of the TrainingManager that watches).

Also the manager's shared state (:class:`ManagerState`), which every part builds on.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tuitrain.executors.base import OUTPUT_LOG, Executor, ProcessIdentity, ProcessState
from tuitrain.runs.config import ConfigError
from tuitrain.runs.errors import TAIL_BYTES, summarize_failure
from tuitrain.runs.events import (
    EventHub,
    MetricsUpdated,
    OutputLines,
    RunDataChanged,
    RunEvent,
    RunFinished,
    StatusChanged,
    StepUpdated,
)
from tuitrain.runs.ingest import CatchUp, RunIngester
from tuitrain.runs.queue import GpuQueue
from tuitrain.runs.states import RunStatus
from tuitrain.runs.view import progress_of
from tuitrain.store.experiments import ExperimentStore
from tuitrain.store.models import Experiment, now

# One log for the whole manager, whichever module of it writes (users filter on it).
log = logging.getLogger("tuitrain.runs.manager")

ACTIVE = (RunStatus.STARTING, RunStatus.RUNNING)
LOST_MESSAGE = (
    "the process ended without writing an exit code (killed with SIGKILL, or the machine rebooted)"
)
STARTING_TIMEOUT_S = 60.0


def identity_of(exp: Experiment) -> ProcessIdentity | None:
    if exp.pid is None:
        return None
    return ProcessIdentity(
        pid=exp.pid,
        pgid=exp.pgid if exp.pgid is not None else exp.pid,
        start=exp.process_start or "",
        boot_id=exp.boot_id or "",
    )


class ManagerState(ABC):
    """What the parts of the TrainingManager share (set by ``TrainingManager.__init__``).

    The parts stack up: following, then launching (a launched run is followed), then
    the GPU queue (it launches runs); the queue's two hooks below are what the lower
    parts call upward.
    """

    store: ExperimentStore
    runs_root: Path
    executors: dict[str, Executor]
    poll_interval: float
    reconcile_interval: float
    grace_period: float
    events: EventHub
    _followers: dict[int, asyncio.Task[None]]
    _reconciler: asyncio.Task[None] | None
    queue: GpuQueue
    queue_interval: float
    queue_worker: Callable[[], object] | None
    _scheduler: asyncio.Task[None] | None
    _queue_wakeup: asyncio.Event
    _schedule_lock: asyncio.Lock
    _finished: dict[int, asyncio.Event]
    _settling: set[int]
    _hosts_down: set[str]
    _ingest_pool: ThreadPoolExecutor

    def executor_for(self, host: str) -> Executor:
        try:
            return self.executors[host]
        except KeyError:
            raise ConfigError(f"unknown host {host!r}") from None

    @abstractmethod
    async def schedule(self) -> list[int]:
        """Launch the queued runs whose GPUs are free now (see ``queueing.py``)."""

    @abstractmethod
    def wake_queue(self) -> None:
        """GPUs may have freed up (see ``queueing.py``)."""


class RunFollowing(ManagerState):
    """Follows active runs and settles the ones whose process is gone."""

    def _follow(self, exp: Experiment) -> None:
        assert exp.id is not None
        task = self._followers.get(exp.id)
        if task is not None and not task.done():
            return
        self._followers[exp.id] = asyncio.create_task(
            self._follow_run(exp.id), name=f"follow-{exp.id}"
        )

    async def _follow_run(self, experiment_id: int) -> None:
        host = "?"
        try:
            exp = self.store.get(experiment_id)
            host = exp.host
            executor = self.executor_for(exp.host)
            ingester = RunIngester(self.store, executor, exp)
            while True:
                exp = self.store.get(experiment_id)
                if not RunStatus(exp.status).is_active:
                    await self._catch_up(ingester, eof=True)
                    self._signal_finished(experiment_id)
                    return
                caught = await self._catch_up(ingester, eof=False)
                self._host_answers(host)
                if await self._process_gone(executor, exp):
                    await self._finalize(experiment_id, ingester)
                    return
                if not caught.pending:
                    await asyncio.sleep(self.poll_interval)
        except asyncio.CancelledError:
            raise
        except OSError as exc:  # the host cannot be reached: reconcile follows again
            self._host_unreachable(host, f"following run {experiment_id}", exc)
        except Exception:
            log.exception("following run %s failed", experiment_id)
        finally:
            self._followers.pop(experiment_id, None)

    def _host_unreachable(self, host: str, what: str, exc: OSError) -> None:
        """Log an outage once, not at each retry (reconcile retries every few seconds)."""
        if host in self._hosts_down:
            log.debug("%s paused: %s", what, exc)
            return
        self._hosts_down.add(host)
        log.warning("host %s unreachable; its runs wait until it answers (%s: %s)", host, what, exc)

    def _host_answers(self, host: str) -> None:
        if host in self._hosts_down:
            self._hosts_down.discard(host)
            log.warning("host %s answers again; following its runs", host)

    async def _catch_up(self, ingester: RunIngester, eof: bool) -> CatchUp:
        loop = asyncio.get_running_loop()
        caught = await loop.run_in_executor(self._ingest_pool, ingester.catch_up, eof)
        rid = ingester.experiment_id
        events: list[RunEvent] = []
        if caught.metrics:
            events.append(MetricsUpdated(rid, tuple(caught.metrics)))
        if caught.progress is not None:
            events.append(StepUpdated(rid, caught.progress))
        if caught.external:
            events.append(RunDataChanged(rid))
            exp_progress = progress_of(self.store.get(rid))
            if caught.progress is None and exp_progress is not None:
                events.append(StepUpdated(rid, exp_progress))
        if caught.lines or caught.lines_dropped:
            events.append(OutputLines(rid, tuple(caught.lines), caught.lines_dropped))
        self.events.publish(*events)
        return caught

    async def refresh(self, experiment_id: int) -> Experiment:
        """Catch up on one run now (ingest and reconcile); its current record."""
        exp = self.store.get(experiment_id)
        status = RunStatus(exp.status)
        if status.is_active or status is RunStatus.LOST:
            executor = self.executor_for(exp.host)
            ingester = RunIngester(self.store, executor, exp)
            await self._catch_up(ingester, eof=False)
            if status is RunStatus.LOST or await self._process_gone(executor, exp):
                await self._finalize(experiment_id, ingester)
        return self.store.get(experiment_id)

    async def _process_gone(self, executor: Executor, exp: Experiment) -> bool:
        ident = identity_of(exp)
        if ident is None:
            # Never recorded a process: give a launch in progress (maybe in another
            # tuitrain process) time to finish before calling the run lost.
            started = exp.started_at or exp.created_at  # a queued run's launch began late
            return time.time() - started > STARTING_TIMEOUT_S
        state = await asyncio.to_thread(executor.probe, ident)
        return state is ProcessState.GONE

    async def _wait_gone(self, executor: Executor, ident: ProcessIdentity, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await asyncio.to_thread(executor.probe, ident) is ProcessState.GONE:
                return True
            await asyncio.sleep(0.05)
        return False

    async def _finalize(self, experiment_id: int, ingester: RunIngester | None = None) -> None:
        self._settling.add(experiment_id)
        try:
            await self._settle(experiment_id, ingester)
        finally:
            self._settling.discard(experiment_id)
            self._signal_finished(experiment_id)

    async def _settle(self, experiment_id: int, ingester: RunIngester | None) -> None:
        """The process is gone: take in the last output, then settle the final state
        from the exit-code file (or LOST without one). Safe to race with another
        process doing the same: the state change is a compare-and-set."""
        exp = self.store.get(experiment_id)
        executor = self.executor_for(exp.host)
        ingester = ingester or RunIngester(self.store, executor, exp)
        await self._catch_up(ingester, eof=True)
        ended = await asyncio.to_thread(executor.read_exit_code, exp.run_dir)
        exit_code = ended[0] if ended else None
        completed_at = ended[1] if ended else now()
        error: str | None = None
        if exp.stop_requested:
            new, message = RunStatus.STOPPED, "stopped by user"
        elif ended is None:
            new, message, error = RunStatus.LOST, LOST_MESSAGE, LOST_MESSAGE
        elif exit_code == 0:
            new, message = RunStatus.COMPLETED, "completed"
        else:
            new = RunStatus.FAILED
            tail = await asyncio.to_thread(self._log_tail, executor, exp.run_dir)
            error = summarize_failure(tail, exit_code)
            message = error
        expect = (*ACTIVE, RunStatus.LOST) if new is not RunStatus.LOST else ACTIVE
        if exp.status == RunStatus.LOST and new in (RunStatus.LOST, RunStatus.STOPPED):
            return
        summary = json.dumps(self.store.last_metrics(experiment_id))
        done = self.store.transition(
            experiment_id,
            new,
            message,
            expect=expect,
            exit_code=exit_code,
            completed_at=completed_at,
            error_summary=error,
            summary_metrics_json=summary,
        )
        if done is not None:
            if done.gpu_ids:
                self.wake_queue()
            if new is RunStatus.COMPLETED:  # its weights, plots, checkpoints as models
                from tuitrain.frameworks.artifacts import register_artifacts

                await asyncio.to_thread(register_artifacts, self.store, done, executor.list_files)
            self.events.publish(
                StatusChanged(experiment_id, new),
                RunFinished(experiment_id, new, new is RunStatus.COMPLETED, message),
            )

    @staticmethod
    def _log_tail(executor: Executor, run_dir: str) -> bytes:
        path = os.path.join(run_dir, OUTPUT_LOG)
        size = executor.file_size(path) or 0
        start = max(0, size - TAIL_BYTES)
        return executor.read_at(path, start, size - start)

    def _signal_finished(self, experiment_id: int) -> None:
        event = self._finished.pop(experiment_id, None)
        if event is not None:
            event.set()
