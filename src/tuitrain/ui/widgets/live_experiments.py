"""The experiments table fed by the app's engine signals.

Events (already coalesced by the manager) update the rows' data at once; the rows
that changed are redrawn at most ``REDRAW_S`` apart. Records are read again only
when a run changes state or appears; a one-second timer moves the ETA and duration
texts; a slow full reload catches what no event told (runs deleted elsewhere).
"""

from __future__ import annotations

import asyncio

from textual import work
from textual.message import Message
from textual.timer import Timer
from textual.worker import Worker

from tuitrain.runs.events import (
    MetricsUpdated,
    RunDataChanged,
    RunEvent,
    RunFinished,
    StatusChanged,
    StepUpdated,
)
from tuitrain.ui.app import TuitrainApp, report_worker_error
from tuitrain.ui.widgets.experiments_table import ExperimentsTable
from tuitrain.ui.widgets.run_rows import read_records, read_runs

REDRAW_S = 0.25  # at most four redraws a second, however fast events come
CLOCK_S = 1.0
RELOAD_S = 15.0


class LiveExperimentsTable(ExperimentsTable):
    """Subscribes to ``app.run_events`` and ``app.engine_ready`` on mount."""

    class Changed(Message):
        """Rows were added, removed or redrawn: summaries should follow."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.projects: dict[int, str] = {}
        self.loaded = False  # the first read of the database is done
        self._dirty: set[int] = set()
        self._stale: set[int] = set()  # records to read again (new state, unknown run)
        self._remetric: set[int] = set()  # runs whose metrics another process ingested
        self._fetching = False
        self._redraw_timer: Timer | None = None

    @property
    def tuitrain(self) -> TuitrainApp:
        assert isinstance(self.app, TuitrainApp)
        return self.app

    def on_mount(self) -> None:
        app = self.tuitrain
        app.run_events.subscribe(self, self.on_run_events)
        app.engine_ready.subscribe(self, lambda _manager: self.reload())
        if app.manager_ready:
            self.reload()
        self.set_interval(CLOCK_S, self.tick)
        self.set_interval(RELOAD_S, self.reload)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)

    @work(exclusive=True, group="reload", exit_on_error=False, name="reload")
    async def reload(self) -> None:
        """Read every run again (in a thread): the table's truth is the database."""
        if not self.tuitrain.manager_ready:
            return
        manager = self.tuitrain.manager
        try:
            snapshot = await asyncio.to_thread(read_runs, manager, frozenset(self.runs))
        except Exception as exc:
            self.notify(f"Cannot read the experiments: {exc}", severity="error")
            return
        self.projects = snapshot.projects
        self.loaded = True
        self.merge_runs(snapshot.records, snapshot.metrics, complete=True)
        self.post_message(self.Changed())

    def on_run_events(self, batch: list[RunEvent]) -> None:
        for event in batch:
            rid = event.experiment_id
            row = self.runs.get(rid)
            if row is None:
                self._stale.add(rid)  # a run this table has not seen yet: read it
                continue
            if isinstance(event, MetricsUpdated):
                row.metrics.update((p.name, p.value) for p in event.metrics)
            elif isinstance(event, StepUpdated):
                row.progress = event.progress
            elif isinstance(event, RunDataChanged):
                self._remetric.add(rid)
                self._stale.add(rid)
            elif isinstance(event, StatusChanged | RunFinished):
                row.exp.status = str(event.status)
                if isinstance(event, StatusChanged):
                    row.starting_note = event.reason
                # The queue moved: every queued run's place may have changed.
                self._dirty.update(r.id for r in self.runs.values() if r.exp.status == "QUEUED")
                self._stale.add(rid)  # times, exit code, error: from the record
            else:
                continue  # output lines: not this table's business
            self._dirty.add(rid)
        if self._stale:
            self._fetch_stale()
        if self._dirty and self._redraw_timer is None:
            self._redraw_timer = self.set_timer(REDRAW_S, self._redraw)

    def _redraw(self) -> None:
        self._redraw_timer = None
        dirty, self._dirty = self._dirty, set()
        self.refresh_runs(dirty)
        self.post_message(self.Changed())

    @work(group="fetch", exit_on_error=False, name="refresh runs")
    async def _fetch_stale(self) -> None:
        if self._fetching or not self.tuitrain.manager_ready:
            return
        self._fetching = True
        try:
            while self._stale:
                ids, self._stale = self._stale, set()
                remetric, self._remetric = self._remetric & ids, self._remetric - ids
                manager = self.tuitrain.manager
                records = await asyncio.to_thread(read_records, manager, ids)
                metrics = {
                    rid: await asyncio.to_thread(manager.store.last_metrics, rid)
                    for rid in remetric
                }
                self.merge_runs(records, metrics)
                self.post_message(self.Changed())
        finally:
            self._fetching = False
