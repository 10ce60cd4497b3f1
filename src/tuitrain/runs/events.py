"""What the manager tells its listeners, and the hub that batches it.

Events are named for what happened. A listener gets a list of events at most every
``flush_interval`` seconds: progress collapses to the latest per run, metrics and
output lines are merged (lines capped), so a run printing thousands of lines a second
costs a listener a few calls a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from tuitrain.metrics import MetricPoint, Progress
from tuitrain.runs.states import RunStatus

log = logging.getLogger(__name__)

MAX_LINES_PER_FLUSH = 500


@dataclass(frozen=True, slots=True)
class RunEvent:
    experiment_id: int


@dataclass(frozen=True, slots=True)
class MetricsUpdated(RunEvent):
    metrics: tuple[MetricPoint, ...]


@dataclass(frozen=True, slots=True)
class StepUpdated(RunEvent):
    progress: Progress


@dataclass(frozen=True, slots=True)
class OutputLines(RunEvent):
    lines: tuple[str, ...]
    dropped: int = 0  # lines left out of this batch to keep it small


@dataclass(frozen=True, slots=True)
class RunDataChanged(RunEvent):
    """Another tuitrain process ingested metrics of this run: re-read it from the store."""


@dataclass(frozen=True, slots=True)
class StatusChanged(RunEvent):
    status: RunStatus
    reason: str = ""  # such as "syncing dataset ducks to gpu1: 3/7 files, 1.2 of 3.4 MB"


@dataclass(frozen=True, slots=True)
class RunFinished(RunEvent):
    status: RunStatus
    success: bool
    message: str


Listener = Callable[[list[RunEvent]], Awaitable[None] | None]


def coalesce(events: list[RunEvent]) -> list[RunEvent]:
    """Merge a burst of events into at most a few per run, keeping their order of kind."""
    merged: list[RunEvent] = []
    metrics: dict[int, list[MetricPoint]] = {}
    lines: dict[int, list[str]] = {}
    dropped: dict[int, int] = {}
    progress: dict[int, Progress] = {}
    for ev in events:
        rid = ev.experiment_id
        if isinstance(ev, MetricsUpdated):
            metrics.setdefault(rid, []).extend(ev.metrics)
        elif isinstance(ev, OutputLines):
            lines.setdefault(rid, []).extend(ev.lines)
            dropped[rid] = dropped.get(rid, 0) + ev.dropped
        elif isinstance(ev, StepUpdated):
            progress[rid] = ev.progress
        else:
            merged.append(ev)
    head: list[RunEvent] = []
    for rid, points in metrics.items():
        head.append(MetricsUpdated(rid, tuple(points)))
    for rid, prog in progress.items():
        head.append(StepUpdated(rid, prog))
    for rid, text in lines.items():
        extra = max(0, len(text) - MAX_LINES_PER_FLUSH)
        head.append(OutputLines(rid, tuple(text[-MAX_LINES_PER_FLUSH:]), dropped[rid] + extra))
    # Data first, then status changes and endings, so a listener sees a run's last
    # metrics before it hears that the run finished.
    return head + merged


@dataclass(eq=False)
class Subscription:
    listener: Listener
    hub: EventHub
    pending: list[RunEvent] = field(default_factory=list)

    def close(self) -> None:
        self.hub.unsubscribe(self)


class EventHub:
    def __init__(self, flush_interval: float = 0.2) -> None:
        self.flush_interval = flush_interval
        self._subs: list[Subscription] = []
        self._task: asyncio.Task[None] | None = None
        self._wakeup = asyncio.Event()

    def subscribe(self, listener: Listener) -> Subscription:
        sub = Subscription(listener, self)
        self._subs.append(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with contextlib.suppress(ValueError):
            self._subs.remove(sub)

    def publish(self, *events: RunEvent) -> None:
        if not events:
            return
        for sub in self._subs:
            sub.pending.extend(events)
        self._wakeup.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="event-hub")

    async def _run(self) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            await self.flush()
            await asyncio.sleep(self.flush_interval)  # rate limit, not a wait for an event

    async def flush(self) -> None:
        for sub in list(self._subs):
            if not sub.pending:
                continue
            batch, sub.pending = coalesce(sub.pending), []
            try:
                result = sub.listener(batch)
                if inspect.isawaitable(result):
                    await result
            except Exception:  # a broken listener must not stop the others
                log.exception("event listener failed")

    async def close(self) -> None:
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
