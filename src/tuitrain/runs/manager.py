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

from tuitrain.executors.base import (
    OUTPUT_LOG,
    Executor,
    LaunchError,
    LaunchSpec,
    ProcessIdentity,
    ProcessState,
)
from tuitrain.executors.local import LocalExecutor
from tuitrain.gpus.request import ANY_HOST, gpu_environment
from tuitrain.metrics import MetricPoint
from tuitrain.runs.config import ConfigError, validate_config
from tuitrain.runs.errors import TAIL_BYTES, summarize_failure
from tuitrain.runs.events import (
    EventHub,
    Listener,
    MetricsUpdated,
    OutputLines,
    RunDataChanged,
    RunEvent,
    RunFinished,
    StatusChanged,
    StepUpdated,
    Subscription,
)
from tuitrain.runs.ingest import CatchUp, RunIngester
from tuitrain.runs.queue import GpuQueue, check_gpu_request
from tuitrain.runs.states import RunStatus
from tuitrain.runs.view import progress_of
from tuitrain.store.db import Database
from tuitrain.store.experiments import ExperimentStore
from tuitrain.store.models import Experiment, now

log = logging.getLogger(__name__)

ACTIVE = (RunStatus.STARTING, RunStatus.RUNNING)
LOST_MESSAGE = (
    "the process ended without writing an exit code (killed with SIGKILL, or the machine rebooted)"
)
STARTING_TIMEOUT_S = 60.0
QUEUE_INTERVAL_S = 2.0  # how often queued runs look for free GPUs (nvidia-smi each time)
RUN_DIR_PLACEHOLDER = "{run_dir}"
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


def identity_of(exp: Experiment) -> ProcessIdentity | None:
    if exp.pid is None:
        return None
    return ProcessIdentity(
        pid=exp.pid,
        pgid=exp.pgid if exp.pgid is not None else exp.pid,
        start=exp.process_start or "",
        boot_id=exp.boot_id or "",
    )


class TrainingManager:
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

    def executor_for(self, host: str) -> Executor:
        try:
            return self.executors[host]
        except KeyError:
            raise ConfigError(f"unknown host {host!r}") from None

    # -- the seed's API --------------------------------------------------------------
    async def start_training(self, config: dict[str, Any]) -> int:
        """Validate, create the experiment and launch it detached; returns its id.

        Bad input raises :class:`ConfigError` and creates nothing; a command that
        cannot start leaves a FAILED experiment with the reason.
        """
        cfg = validate_config(config)
        queued = cfg["gpus"] > 0
        if queued:  # a host that can never give the GPUs is an error now, not a wait
            await asyncio.to_thread(check_gpu_request, self.queue, cfg)
        executor = None if cfg["host"] == ANY_HOST else self.executor_for(cfg["host"])
        if executor is not None:
            try:
                await asyncio.to_thread(executor.check_command, cfg["command"])
            except LaunchError as exc:
                raise ConfigError(str(exc)) from exc
        exp = self.store.create(
            name=cfg["name"],
            framework=cfg["framework"],
            host=cfg["host"],
            project_id=cfg.get("project_id"),
            dataset_id=cfg.get("dataset_id"),
            config_json=json.dumps(cfg),
            restarted_from=cfg.get("restarted_from"),
        )
        assert exp.id is not None
        # "any" host: the run folder is made where the queue places the run.
        if executor is not None and not await self._make_run_dir(exp.id, executor, cfg):
            return exp.id
        if queued:
            self.store.transition(exp.id, RunStatus.QUEUED, f"asks for {cfg['gpus']} GPU(s)")
            self.events.publish(StatusChanged(exp.id, RunStatus.QUEUED))
            await self.schedule()
            still_queued = self.store.get(exp.id).status == RunStatus.QUEUED
            if still_queued and self.queue_worker is not None:  # see queue_worker.py
                await asyncio.to_thread(self.queue_worker)
            return exp.id
        await self._launch(exp.id, cfg)
        return exp.id

    async def _make_run_dir(
        self, experiment_id: int, executor: Executor, cfg: dict[str, Any]
    ) -> bool:
        run_dir = executor.run_dir_for(experiment_id, self.runs_root)
        try:
            files = {"config.json": json.dumps(cfg, indent=2).encode()}
            await asyncio.to_thread(executor.write_files, run_dir, files)
        except (OSError, LaunchError) as exc:
            self._launch_failed(experiment_id, f"cannot create the run folder {run_dir}: {exc}")
            return False
        self.store.update(experiment_id, run_dir=run_dir)
        return True

    # -- the GPU queue ---------------------------------------------------------------
    async def schedule(self) -> list[int]:
        """Launch the queued runs whose GPUs are free now (first in, first out);
        returns their ids. Any tuitrain process may do this: claims are atomic."""
        async with self._schedule_lock:
            claimed = await asyncio.to_thread(self.queue.run_pass)
            for exp in claimed:
                assert exp.id is not None
                self.events.publish(StatusChanged(exp.id, RunStatus.STARTING))
                cfg = await self._command_for_host(exp)
                if cfg is None:
                    continue
                executor = self.executor_for(exp.host)
                if not exp.run_dir and not await self._make_run_dir(exp.id, executor, cfg):
                    continue
                await self._launch(exp.id, cfg)
            return [e.id for e in claimed if e.id is not None]

    async def _command_for_host(self, exp: Experiment) -> dict[str, Any] | None:
        """A claimed run's config, its command written for the host it was placed on
        (``--host any`` wrote it before a host was chosen); None if that failed."""
        from tuitrain.frameworks import command_for_host

        assert exp.id is not None
        cfg: dict[str, Any] = json.loads(exp.config_json)
        try:
            placed = await asyncio.to_thread(command_for_host, cfg, exp.host)
        except ValueError as exc:  # ParamError, SettingsError
            self._launch_failed(exp.id, f"on {exp.host}: {exc}")
            return None
        if placed != cfg:
            self.store.update(exp.id, config_json=json.dumps(placed))
        return placed

    def wake_queue(self) -> None:
        """GPUs may have freed up (a run ended): schedule now rather than later."""
        self._queue_wakeup.set()

    async def _queue_woken(self) -> None:
        """Until a run ends or ``queue_interval`` passes. (Not ``wait_for``: on Python
        3.11 it can swallow a cancel that comes as the event is set.)"""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.queue_interval):
                await self._queue_wakeup.wait()

    async def _schedule_forever(self) -> None:
        while True:
            await self._queue_woken()
            self._queue_wakeup.clear()
            try:
                await self.schedule()
            except Exception:
                log.exception("scheduling the GPU queue failed")

    async def _launch(self, experiment_id: int, cfg: dict[str, Any]) -> None:
        """Launch a created experiment (PENDING or QUEUED) whose run folder exists."""
        exp = self.store.get(experiment_id)
        executor = self.executor_for(exp.host)
        run_dir = exp.run_dir
        if exp.status != RunStatus.STARTING:  # a queued run was claimed STARTING already
            self.store.transition(experiment_id, RunStatus.STARTING, "launching")
            self.events.publish(StatusChanged(experiment_id, RunStatus.STARTING))
        prepared = await self._prepare_on_host(experiment_id, executor, cfg, run_dir)
        if prepared is None:
            return
        cfg = prepared
        # "{run_dir}" in the command stands for the run folder, which exists only now.
        argv = [arg.replace(RUN_DIR_PLACEHOLDER, run_dir) for arg in cfg["command"]]
        spec = LaunchSpec(
            run_id=experiment_id,
            argv=argv,
            run_dir=run_dir,
            env={**cfg["env"], **gpu_environment(exp.gpu_ids)},
            cwd=cfg.get("cwd"),
        )
        try:
            ident = await asyncio.to_thread(executor.launch, spec)
        except LaunchError as exc:
            self._launch_failed(experiment_id, str(exc))
            return
        self.register_process(experiment_id, ident)

    async def _prepare_on_host(
        self, experiment_id: int, executor: Executor, cfg: dict[str, Any], run_dir: str
    ) -> dict[str, Any] | None:
        """The executor's preparation (a dataset synced to an SSH host), its progress
        published as STARTING reasons; None when the run must not launch (it failed,
        or was stopped meanwhile)."""
        loop = asyncio.get_running_loop()
        beat = [0.0]

        def report(line: str) -> None:  # from the worker thread
            if time.monotonic() - beat[0] > 1.0:  # alive: not "never launched" yet
                beat[0] = time.monotonic()
                self.store.update(experiment_id, started_at=now())
            event = StatusChanged(experiment_id, RunStatus.STARTING, line)
            loop.call_soon_threadsafe(self.events.publish, event)

        try:
            prepared = await asyncio.to_thread(executor.prepare_run, cfg, run_dir, report)
        except (OSError, LaunchError) as exc:
            self._launch_failed(experiment_id, str(exc))
            return None
        if self.store.get(experiment_id).status != RunStatus.STARTING:
            return None  # stopped while its files were copied
        return prepared

    def _launch_failed(self, experiment_id: int, reason: str) -> None:
        self.wake_queue()  # its GPUs, if it had some, are free again
        self.store.transition(
            experiment_id,
            RunStatus.FAILED,
            "launch failed",
            error_summary=reason,
            completed_at=now(),
        )
        self.events.publish(RunFinished(experiment_id, RunStatus.FAILED, False, reason))

    def register_process(self, experiment_id: int, process: ProcessIdentity) -> None:
        """Record the process of a run and start following it."""
        exp = self.store.transition(
            experiment_id,
            RunStatus.RUNNING,
            f"pid {process.pid}",
            expect=(RunStatus.PENDING, RunStatus.QUEUED, RunStatus.STARTING),
            pid=process.pid,
            pgid=process.pgid,
            process_start=process.start,
            boot_id=process.boot_id,
            started_at=now(),
        )
        if exp is None:
            return
        self.events.publish(StatusChanged(experiment_id, RunStatus.RUNNING))
        self._follow(exp)

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

    # -- following -------------------------------------------------------------------
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
