"""Datasets: every dataset of the store and, for the one under the cursor, its
statistics (images labeled and not, boxes per class as bars, class-balance warnings)
and the problems the checks before training would find. ``c`` creates a dataset, ``i``
imports files into the one under the cursor, ``s`` splits it (forms in
:mod:`~tuitrain.ui.screens.dataset_forms`), ``e`` opens the label editor on it."""

from __future__ import annotations

from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker

from tuitrain.datasets.import_report import ImportReport
from tuitrain.datasets.service import DatasetSummary
from tuitrain.ui.app import report_worker_error
from tuitrain.ui.screens.dataset_forms import (
    CreateDatasetForm,
    CreateRequest,
    SplitDatasetForm,
    SplitRequest,
)
from tuitrain.ui.screens.dataset_import_form import ImportForm, ImportRequest
from tuitrain.ui.screens.dataset_import_run import ImportRunScreen
from tuitrain.ui.screens.dataset_panel import (
    DatasetDetail,
    classes_text,
    create_dataset,
    detail_text,
    load_datasets,
    load_detail,
    split_dataset,
)
from tuitrain.ui.widgets.key_footer import KeyFooter

COLUMNS = (
    ("ID", "id"),
    ("Name", "name"),
    ("Task", "task"),
    ("Items", "items"),
    ("Labeled", "labeled"),
    ("Classes", "classes"),
)


class DatasetsScreen(Screen[None]):
    """The datasets table and the statistics of the highlighted dataset."""

    HELP_TITLE = "Datasets"
    BINDINGS = [
        Binding("c", "create", "Create", tooltip="Create a dataset (name, task, classes)"),
        Binding("i", "import", "Import", tooltip="Import images and labels into the dataset"),
        Binding("s", "split", "Split", tooltip="Split the dataset into train/val/test"),
        Binding("r", "reload", "Reload", tooltip="Read the datasets again"),
        Binding("e", "label", "Label", tooltip="Label the images of the dataset (editor)"),
        Binding("escape", "back", "Back", tooltip="Back to the experiments"),
    ]
    DEFAULT_CSS = """
    DatasetsScreen #datasets-summary { height: 1; padding: 0 1; background: $boost; }
    DatasetsScreen #datasets-table { height: auto; max-height: 40%; }
    DatasetsScreen #dataset-stats {
        height: 1fr; border: round $primary 60%; padding: 0 1;
    }
    """

    class Listed(Message):
        def __init__(self, datasets: list[DatasetSummary]) -> None:
            super().__init__()
            self.datasets = datasets

    class DetailLoaded(Message):
        def __init__(self, dataset_id: int, detail: DatasetDetail) -> None:
            super().__init__()
            self.dataset_id, self.detail = dataset_id, detail

    class Changed(Message):
        """A dataset was created, imported into or split (by this screen)."""

        def __init__(self, dataset_id: int, summary: str) -> None:
            super().__init__()
            self.dataset_id, self.summary = dataset_id, summary

    def __init__(self, home: Path | None = None) -> None:
        super().__init__()
        self.home = home  # None: TUITRAIN_HOME, as the CLI
        self.datasets: dict[int, DatasetSummary] = {}
        self.shown_id: int | None = None
        self.loaded = False  # the list was read at least once
        self.detail_id: int | None = None  # whose stats the panel shows

    def compose(self) -> ComposeResult:
        yield Static("Reading datasets…", id="datasets-summary", markup=False)
        yield DataTable(id="datasets-table", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="dataset-stats"):
            yield Static("", id="dataset-stats-text")
        yield KeyFooter()

    @property
    def table(self) -> DataTable[str]:
        return self.query_one("#datasets-table", DataTable)

    def on_mount(self) -> None:
        self.query_one("#dataset-stats").border_title = "Statistics"
        for label, key in COLUMNS:
            self.table.add_column(label, key=key)
        self.table.focus()
        self._load_list()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)

    # -- loading (thread workers; results come back as messages) ---------------------
    @work(thread=True, exclusive=True, group="datasets-list", exit_on_error=False, name="datasets")
    def _load_list(self) -> None:
        self.post_message(self.Listed(load_datasets(self.home)))

    @work(thread=True, exclusive=True, group="dataset-stats", exit_on_error=False, name="stats")
    def _load_detail(self, dataset_id: int) -> None:
        self.post_message(self.DetailLoaded(dataset_id, load_detail(self.home, dataset_id)))

    @on(Listed)
    def _listed(self, event: Listed) -> None:
        self.loaded = True
        self.datasets = {ds.id: ds for ds in event.datasets}
        table = self.table
        keep = self.shown_id
        table.clear()
        for ds in event.datasets:
            table.add_row(
                str(ds.id),
                ds.name,
                ds.task,
                str(ds.items),
                str(ds.labeled),
                classes_text(ds.classes),
                key=str(ds.id),
            )
        summary = self.query_one("#datasets-summary", Static)
        stats = self.query_one("#dataset-stats-text", Static)
        if not event.datasets:
            summary.update("No datasets yet: press c to create one")
            stats.update("")
            self.shown_id = None
            return
        items = sum(ds.items for ds in event.datasets)
        summary.update(f"{len(event.datasets)} datasets, {items} items")
        if keep in self.datasets:
            table.move_cursor(row=table.get_row_index(str(keep)))
        self._show(self._cursor_id(), force=True)

    def _cursor_id(self) -> int | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    @on(DataTable.RowHighlighted, "#datasets-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        key = event.row_key.value
        if key is not None:
            self._show(int(key))

    def _show(self, dataset_id: int | None, force: bool = False) -> None:
        if dataset_id is None or (dataset_id == self.shown_id and not force):
            return
        self.shown_id = dataset_id
        ds = self.datasets.get(dataset_id)
        if ds is not None and self.detail_id != dataset_id:
            self.query_one("#dataset-stats-text", Static).update(f"#{ds.id} {ds.name}: loading…")
        self._load_detail(dataset_id)

    @on(DetailLoaded)
    def _detail_loaded(self, event: DetailLoaded) -> None:
        if event.dataset_id != self.shown_id:
            return  # the cursor moved on meanwhile
        self.detail_id = event.dataset_id
        self.query_one("#dataset-stats-text", Static).update(detail_text(event.detail))

    # -- actions ---------------------------------------------------------------------
    def action_reload(self) -> None:
        self._load_list()

    def action_label(self) -> None:
        from tuitrain.ui.screens.label_editor import LabelEditorScreen

        dataset_id = self._cursor_id()
        ds = self.datasets.get(dataset_id) if dataset_id is not None else None
        if ds is None:
            return
        if ds.task != "detection":
            self.notify(f"{ds.name} is an {ds.task} dataset: it has no boxes", severity="warning")
            return
        self.app.push_screen(LabelEditorScreen(ds.id, self.home), self._back_from_editor)

    def _back_from_editor(self, _result: None) -> None:
        self._load_list()  # statuses and boxes changed: read them again

    def action_back(self) -> None:
        self.dismiss()

    # -- create, import, split (forms ask; thread workers act) --------------------------
    def _cursor_dataset(self, verb: str) -> DatasetSummary | None:
        dataset_id = self._cursor_id()
        ds = self.datasets.get(dataset_id) if dataset_id is not None else None
        if ds is None:
            self.notify(f"No dataset to {verb}: create one with c", severity="warning")
        return ds

    def action_create(self) -> None:
        taken = [ds.name for ds in self.datasets.values()]
        self.app.push_screen(CreateDatasetForm(taken), self._create_asked)

    def _create_asked(self, request: CreateRequest | None) -> None:
        if request is not None:
            self._create(request)

    @work(thread=True, group="dataset-edit", exit_on_error=False, name="create")
    def _create(self, request: CreateRequest) -> None:
        created = create_dataset(self.home, request)
        self.post_message(self.Changed(created.id, f"Created dataset #{created.id} {created.name}"))

    def action_import(self) -> None:
        ds = self._cursor_dataset("import into")
        if ds is not None:
            form = ImportForm(ds.name, ds.task)
            self.app.push_screen(form, lambda request: self._import_asked(ds, request))

    def _import_asked(self, ds: DatasetSummary, request: ImportRequest | None) -> None:
        if request is not None:
            run = ImportRunScreen(self.home, ds.id, ds.name, request)
            self.app.push_screen(run, lambda report: self._imported(ds, report))

    def _imported(self, ds: DatasetSummary, report: ImportReport | None) -> None:
        if report is not None:
            self.post_message(
                self.Changed(ds.id, f"{ds.name}: {report.count('imported')} imported")
            )

    def action_split(self) -> None:
        ds = self._cursor_dataset("split")
        if ds is None:
            return
        if ds.task == "audio":
            self.notify(f"{ds.name} is an audio dataset: audio is not split", severity="warning")
            return
        form = SplitDatasetForm(ds.name, ds.labeled)
        self.app.push_screen(form, lambda request: self._split_asked(ds, request))

    def _split_asked(self, ds: DatasetSummary, request: SplitRequest | None) -> None:
        if request is not None:
            self._split(ds, request)

    @work(thread=True, group="dataset-edit", exit_on_error=False, name="split")
    def _split(self, ds: DatasetSummary, request: SplitRequest) -> None:
        report = split_dataset(self.home, ds.id, request)
        counts = ", ".join(f"{s} {n}" for s, n in report.counts.items() if n)
        self.post_message(self.Changed(ds.id, f"{ds.name} split (seed {report.seed}): {counts}"))

    @on(Changed)
    def _changed(self, event: Changed) -> None:
        """A dataset was made or changed: select it, read the list and stats again."""
        self.notify(event.summary)
        self.shown_id = event.dataset_id
        self.detail_id = None
        self._load_list()
