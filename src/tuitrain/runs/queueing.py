"""The GPU queue's glue in the TrainingManager: launching queued runs whose GPUs are
free, now and whenever a run ends (the queue itself is ``queue.py``; the worker that
keeps it moving with no tuitrain open is ``queue_worker.py``)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from tuitrain.runs.events import StatusChanged
from tuitrain.runs.launching import RunLaunching
from tuitrain.runs.states import RunStatus
from tuitrain.store.models import Experiment

log = logging.getLogger("tuitrain.runs.manager")  # the manager's log, as in following.py

QUEUE_INTERVAL_S = 2.0  # how often queued runs look for free GPUs (nvidia-smi each time)


class GpuQueueing(RunLaunching):
    """Starts queued runs as GPUs free up (claims are atomic across processes)."""

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
