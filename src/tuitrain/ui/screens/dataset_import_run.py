"""An import running: a progress bar (n of N files), esc cancels; then its report
(taken, duplicates, refused with the reason for each refused file), scrollable.

The import is all or nothing (see :mod:`tuitrain.datasets.importer`): a cancel raises
from the progress callback, the staged files are dropped and nothing is stored.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import ProgressBar, Static
from textual.worker import Worker, WorkerState

from tuitrain.datasets.import_report import ImportReport, ProgressCallback
from tuitrain.datasets.service import DatasetService
from tuitrain.ui.screens.dataset_import_form import ImportRequest
from tuitrain.ui.widgets.key_footer import KeyFooter

PROGRESS_EVERY_S = 0.1  # at most ten redraws a second, however fast files go


class ImportCancelled(Exception):
    """Raised from the progress callback when the user pressed esc."""


def run_import(
    home: Path | None,
    dataset_id: int,
    request: ImportRequest,
    on_progress: ProgressCallback,
    cancelled: threading.Event,
) -> ImportReport:
    """The import itself (thread side); raises ImportCancelled when asked to stop."""

    def progress(done: int, total: int) -> None:
        if cancelled.is_set():
            raise ImportCancelled
        on_progress(done, total)

    service = DatasetService(home)
    try:
        return service.import_files(
            dataset_id, [request.path], request.labels_format, request.labels_path, progress
        )
    finally:
        service.close()


def shown_path(path: str, base: str) -> str:
    """A file of the report, relative to the folder the user typed when inside it."""
    root = Path(base).expanduser()
    try:
        return str(Path(path).relative_to(root)) if root.is_dir() else path
    except ValueError:
        return path


def report_text(report: ImportReport, base: str) -> Text:
    text = Text()
    text.append(
        f"{report.count('imported')} imported, {report.count('duplicate')} duplicate(s) "
        f"skipped, {report.count('refused')} refused",
        style="bold",
    )
    if report.count("labels"):
        text.append(f", labels applied to {report.count('labels')}", style="bold")
    text.append("\n")
    styles = {"refused": "red", "duplicate": "yellow", "imported": "green", "labels": "cyan"}
    order = ("refused", "duplicate", "labels", "imported")
    root = Path(base).expanduser()
    prefix = str(root).rstrip("/") + "/" if root.is_dir() else ""
    for outcome in order:
        for o in (o for o in report.outcomes if o.outcome == outcome):
            text.append(f"\n{o.outcome:<9} ", style=styles[outcome])
            text.append(shown_path(o.path, base))
            detail = o.detail.replace(prefix, "") if prefix else o.detail
            text.append(f": {detail}" if o.outcome != "imported" else f" {detail}")
            for problem in o.problems:
                text.append(f"\n          {problem}", style="dim")
    for note in report.notes:
        text.append(f"\nnote      {note}", style="dim")
    if report.classes_added:
        text.append(f"\nnote      new classes: {', '.join(report.classes_added)}", style="dim")
    return text


class ImportRunScreen(ModalScreen[ImportReport | None]):
    """Runs one import; dismisses with its report (None: cancelled or failed)."""

    BINDINGS = [
        Binding("escape", "close", "Cancel / close", tooltip="Cancel the import, or close"),
        Binding("enter", "done", "Close", show=False, tooltip="Close the report"),
    ]
    DEFAULT_CSS = """
    ImportRunScreen { align: center middle; }
    ImportRunScreen > Vertical {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent 60%; border-title-align: center;
        background: $panel; padding: 0 1;
    }
    ImportRunScreen #import-status { margin: 1 0 0 0; }
    ImportRunScreen ProgressBar { margin: 1 0; }
    ImportRunScreen #import-report { height: auto; max-height: 20; display: none; }
    ImportRunScreen.-done #import-report { display: block; }
    ImportRunScreen.-done ProgressBar { display: none; }
    """

    class Progressed(Message):
        def __init__(self, done: int, total: int) -> None:
            super().__init__()
            self.done, self.total = done, total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, ImportRunScreen.Progressed)

    class Finished(Message):
        def __init__(self, report: ImportReport) -> None:
            super().__init__()
            self.report = report

    class Cancelled(Message):
        pass

    def __init__(self, home: Path | None, dataset_id: int, name: str, request: ImportRequest):
        super().__init__()
        self.home, self.dataset_id, self.request = home, dataset_id, request
        self.dataset_name = name
        self.cancel_requested = threading.Event()
        self.report: ImportReport | None = None
        self.running = True

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"Import into {self.dataset_name}"
            box.border_subtitle = "esc cancels"
            yield Static("Reading the file list…", id="import-status", markup=False)
            yield ProgressBar(total=None, show_eta=False, id="import-progress")
            with VerticalScroll(id="import-report"):
                yield Static("", id="import-report-text")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._import()

    @work(thread=True, exclusive=True, exit_on_error=False, name="import")
    def _import(self) -> None:
        last = 0.0

        def progress(done: int, total: int) -> None:
            nonlocal last
            now = time.monotonic()
            if done == total or now - last >= PROGRESS_EVERY_S:
                last = now
                self.post_message(self.Progressed(done, total))

        try:
            report = run_import(
                self.home, self.dataset_id, self.request, progress, self.cancel_requested
            )
        except ImportCancelled:
            self.post_message(self.Cancelled())
            return
        self.post_message(self.Finished(report))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.running = False
            self.app.notify(f"import failed: {event.worker.error}", severity="error", timeout=10)
            self.dismiss(None)

    @on(Progressed)
    def _progressed(self, event: Progressed) -> None:
        bar = self.query_one(ProgressBar)
        bar.update(total=event.total, progress=event.done)
        verb = "cancelling" if self.cancel_requested.is_set() else "checking"
        status = f"{verb}: {event.done} of {event.total} files"
        self.query_one("#import-status", Static).update(status)

    @on(Finished)
    def _finished(self, event: Finished) -> None:
        self.running = False
        self.report = event.report
        self.add_class("-done")
        self.query_one("#import-status", Static).update("Done (esc or enter closes)")
        self.query_one(Vertical).border_subtitle = "esc/enter closes"
        self.query_one("#import-report-text", Static).update(
            report_text(event.report, self.request.path)
        )
        self.query_one("#import-report").focus()

    @on(Cancelled)
    def _cancelled(self) -> None:
        self.running = False
        self.app.notify("import cancelled: nothing was imported", severity="warning")
        self.dismiss(None)

    def action_close(self) -> None:
        if not self.running:
            self.dismiss(self.report)
        elif not self.cancel_requested.is_set():
            self.cancel_requested.set()
            self.query_one("#import-status", Static).update("cancelling…")

    def action_done(self) -> None:
        if not self.running:
            self.dismiss(self.report)
