"""Home: every experiment, live (see ``LiveExperimentsTable``), and a key for
everything one does with a run. Other screens are imported only when opened."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Input, Static
from textual.worker import Worker

from tuitrain.ui.app import TuitrainApp, report_worker_error
from tuitrain.ui.screens.confirm import ConfirmScreen
from tuitrain.ui.widgets.key_footer import KeyFooter
from tuitrain.ui.widgets.live_experiments import LiveExperimentsTable
from tuitrain.ui.widgets.run_rows import (
    NO_PROJECT,
    STATUS_FILTERS,
    RunRow,
)


class ExperimentsScreen(Screen[None]):
    """The experiments table with its filters."""

    HELP_TITLE = "Experiments"
    BINDINGS = [
        Binding("n", "new", "New", tooltip="New training"),
        Binding("s", "stop", "Stop", tooltip="Stop the run under the cursor"),
        Binding("r", "restart", "Restart", tooltip="Restart the run under the cursor"),
        Binding("d", "delete", "Delete", tooltip="Delete the run under the cursor"),
        Binding("l", "logs", "Logs", tooltip="Show the logs of the run under the cursor"),
        Binding("space", "mark", "Mark", tooltip="Mark the run for comparison"),
        Binding("c", "compare", "Compare", tooltip="Compare the marked runs"),
        # A priority binding runs as the app reads the key, before it routes the next
        # ones: keys typed right after "/" (a fast typist over SSH, a paste) land in the
        # field instead of reaching the table as r(estart) or d(elete).
        Binding(
            "slash",
            "filter",
            "Filter",
            key_display="/",
            tooltip="Filter runs by text",
            priority=True,
        ),
        Binding("f", "cycle_status", "Status", tooltip="Cycle the status filter"),
        Binding("p", "cycle_project", "Project", tooltip="Cycle the project filter"),
        Binding("D", "datasets", "Datasets", tooltip="Datasets and their statistics"),
        Binding("i", "inference", "Inference", tooltip="Try a trained model on images"),
        Binding("g", "gpus", "GPUs", tooltip="GPUs of every host and who uses them"),
        Binding("escape", "clear_filter", "Clear filters", show=False),
    ]

    DEFAULT_CSS = """
    ExperimentsScreen #summary { height: 1; padding: 0 1; background: $boost; }
    ExperimentsScreen #filter { display: none; }
    ExperimentsScreen #filter.-shown { display: block; }
    """

    @property
    def tuitrain(self) -> TuitrainApp:
        assert isinstance(self.app, TuitrainApp)
        return self.app

    @property
    def table(self) -> LiveExperimentsTable:
        return self.query_one(LiveExperimentsTable)

    def compose(self) -> ComposeResult:
        yield Static("Opening the engine…", id="summary", markup=False)
        yield Input(placeholder="filter: name, framework, host, status", id="filter", compact=True)
        yield LiveExperimentsTable(id="experiments")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.table.focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # "/" is text while typing the filter (its binding has priority).
        return not (action == "filter" and self.focused is self.query_one("#filter", Input))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)

    @on(LiveExperimentsTable.Changed)
    def _table_changed(self) -> None:
        self._update_summary()

    def _update_summary(self) -> None:
        runs = list(self.table.runs.values())
        active = sum(1 for r in runs if r.status.is_active)
        parts = [f"{len(runs)} runs, {active} running"]
        if not runs and self.table.loaded:
            parts = ["No runs yet: press n to start one"]
        shown = len(self.table.shown_ids)
        flt = self.table.filter
        if shown != len(runs):
            parts.append(f"showing {shown}")
        if flt.status_index:
            parts.append(f"status: {flt.status_label}")
        if flt.project is not None:
            parts.append(f"project: {self._project_label(flt.project)}")
        if flt.text:
            parts.append(f"filter: {flt.text}")
        marked = len(self.table.marked_ids)
        if marked:
            parts.append(f"{marked} marked")
        self.query_one("#summary", Static).update(" · ".join(parts))

    def _project_label(self, project: int) -> str:
        if project == NO_PROJECT:
            return "none"
        return self.table.projects.get(project, f"#{project}")

    # -- the run under the cursor ----------------------------------------------------
    def _current(self) -> RunRow | None:
        rid = self.table.cursor_id
        if rid is None:
            self.notify("No run selected", severity="warning")
            return None
        return self.table.runs[rid]

    def _push(
        self,
        module: str,
        name: str,
        *args: Any,
        what: str,
        callback: Callable[[Any], None] | None = None,
    ) -> None:
        """Open another engineer's screen, imported only when asked for."""
        path = f"tuitrain.ui.screens.{module}"
        try:
            screen = getattr(importlib.import_module(path), name)(*args)
        except ModuleNotFoundError as exc:
            if exc.name != path:
                self.notify(f"Cannot open {what}: {exc}", severity="error")
            else:
                self.notify(f"{what} is not available yet", severity="warning")
            return
        except AttributeError:
            self.notify(f"{what} is not available yet", severity="warning")
            return
        except Exception as exc:
            self.notify(f"Cannot open {what}: {exc}", severity="error")
            return
        self.app.push_screen(screen, callback=callback or self._after_screen)

    def _after_screen(self, result: object) -> None:
        self.table.reload()

    # -- actions ---------------------------------------------------------------------
    def action_new(self) -> None:
        self._push(
            "wizard", "NewTrainingScreen", what="The new-training wizard", callback=self._started
        )

    def _started(self, config: dict[str, Any] | None) -> None:
        if config:
            self.tuitrain.start_run(config)

    @on(DataTable.RowSelected)
    def _open_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_open(self) -> None:
        if (row := self._current()) is not None:
            self._push("run_detail", "RunDetailScreen", row.id, what="Run detail")

    def action_logs(self) -> None:
        if (row := self._current()) is not None:
            self._push("logs", "LogScreen", row.id, what="The log viewer")

    def action_datasets(self) -> None:
        self._push("datasets", "DatasetsScreen", what="Datasets")

    def action_gpus(self) -> None:
        self._push("gpus", "GpusScreen", what="GPUs")

    def action_inference(self) -> None:
        self._push("inference", "InferenceScreen", what="Inference")

    def action_compare(self) -> None:
        ids = self.table.marked_ids
        if len(ids) < 2:
            self.notify("Mark two or more runs with space, then press c", severity="warning")
            return
        self._push("compare", "CompareScreen", ids, what="Compare")

    def action_mark(self) -> None:
        if self.table.toggle_mark() is not None:
            self.table.action_cursor_down()
            self._update_summary()

    def action_stop(self) -> None:
        row = self._current()
        if row is None:
            return
        if row.status.is_terminal:
            self.notify(f"#{row.id} is {row.status}: nothing to stop", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.tuitrain.stop_run(row.id)

        question = f"Stop #{row.id} {row.exp.name}? (SIGTERM, then SIGKILL)"
        self.app.push_screen(ConfirmScreen(question, yes="Stop"), callback=answered)

    def action_restart(self) -> None:
        row = self._current()
        if row is None:
            return
        if not row.status.is_terminal:
            self.notify(f"#{row.id} is {row.status}: stop it first", severity="warning")
            return
        self.tuitrain.restart_run(row.id)

    def action_delete(self) -> None:
        row = self._current()
        if row is None:
            return
        if not row.status.is_terminal:
            self.notify(
                f"#{row.id} is {row.status}: stop it before deleting it", severity="warning"
            )
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._delete(row.id)

        question = f"Delete #{row.id} {row.exp.name} and its metrics? (The run folder stays.)"
        self.app.push_screen(ConfirmScreen(question, yes="Delete"), callback=answered)

    @work(group="delete", exit_on_error=False, name="delete")
    async def _delete(self, rid: int) -> None:
        try:
            await asyncio.to_thread(self.tuitrain.manager.store.delete, rid)
        except Exception as exc:  # e.g. it was restarted elsewhere meanwhile
            self.notify(f"Cannot delete #{rid}: {exc}", severity="error")
            return
        self.table.remove_run(rid)
        self._update_summary()
        self.notify(f"Deleted #{rid}")

    # -- filters ---------------------------------------------------------------------
    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.add_class("-shown")
        self.set_focus(field)  # at once, not after a refresh (see the binding)

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.table.set_filter(replace(self.table.filter, text=event.value.strip()))
        self._update_summary()

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            event.input.remove_class("-shown")
        self.set_focus(self.table)

    def action_clear_filter(self) -> None:
        """Escape: in the filter field, drop the text; elsewhere every filter."""
        field = self.query_one("#filter", Input)
        typing = self.focused is field
        field.value = ""
        field.remove_class("-shown")
        flt = replace(self.table.filter, text="")
        if not typing:
            flt = replace(flt, status_index=0, project=None)
        self.table.set_filter(flt)
        self.set_focus(self.table)
        self._update_summary()

    def action_cycle_status(self) -> None:
        flt = self.table.filter
        index = (flt.status_index + 1) % len(STATUS_FILTERS)
        self.table.set_filter(replace(flt, status_index=index))
        self._update_summary()

    def action_cycle_project(self) -> None:
        runs = self.table.runs.values()
        projects = sorted({r.exp.project_id for r in runs if r.exp.project_id})
        choices: list[int | None] = list(projects)
        if not choices:
            self.notify("No run belongs to a project yet", severity="information")
            return
        if any(r.exp.project_id is None for r in runs):
            choices.append(NO_PROJECT)
        cycle = [None, *choices]
        current = self.table.filter.project
        index = cycle.index(current) if current in cycle else 0
        self.table.set_filter(replace(self.table.filter, project=cycle[(index + 1) % len(cycle)]))
        self._update_summary()
