"""Launching runs: validating a config, creating the experiment and its run folder,
preparing the host and starting the detached process (the TrainingManager's part
that starts things; a launched run is then followed)."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from tuitrain.executors.base import Executor, LaunchError, LaunchSpec, ProcessIdentity
from tuitrain.gpus.request import ANY_HOST, gpu_environment
from tuitrain.runs.config import ConfigError, validate_config
from tuitrain.runs.events import RunFinished, StatusChanged
from tuitrain.runs.following import RunFollowing
from tuitrain.runs.queue import check_gpu_request
from tuitrain.runs.states import RunStatus
from tuitrain.store.models import now

RUN_DIR_PLACEHOLDER = "{run_dir}"


class RunLaunching(RunFollowing):
    """Starts runs now, or queues them when they ask for GPUs."""

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
