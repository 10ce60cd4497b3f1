"""Datasets: every dataset of the store and, for the one under the cursor, its
statistics (images labeled and not, boxes per class as bars, class-balance warnings)
and the problems the checks before training would find. Read-only: creating,
importing and splitting are the CLI's (``tuitrain dataset ...``); ``e`` opens the label
editor on the dataset under the cursor."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker

from tuitrain.datasets.service import DatasetService, DatasetStats, DatasetSummary
from tuitrain.datasets.stats import bar_chart
from tuitrain.datasets.validate import ValidationResult
from tuitrain.ui.app import report_worker_error
from tuitrain.ui.widgets.key_footer import KeyFooter

BAR_WIDTH = 30
CLASSES_WIDTH = 40
COLUMNS = (
    ("ID", "id"),
    ("Name", "name"),
    ("Task", "task"),
    ("Items", "items"),
    ("Labeled", "labeled"),
    ("Classes", "classes"),
)


@dataclass(frozen=True, slots=True)
class DatasetDetail:
    """What the stats panel shows for one dataset (read in a worker thread)."""

    stats: DatasetStats
    validation: ValidationResult


def load_detail(home: Path | None, dataset_id: int) -> DatasetDetail:
    service = DatasetService(home)
    try:
        return DatasetDetail(service.stats(dataset_id), service.validate(dataset_id))
    finally:
        service.close()


def load_datasets(home: Path | None) -> list[DatasetSummary]:
    service = DatasetService(home)
    try:
        return service.list_datasets()
    finally:
        service.close()


def classes_text(classes: list[str], width: int = CLASSES_WIDTH) -> str:
    text = ", ".join(classes) if classes else "-"
    return text if len(text) <= width else text[: width - 1] + "…"


def detail_text(detail: DatasetDetail) -> Text:
    """The stats panel: counts, bars, warnings and validation problems."""
    st, check = detail.stats, detail.validation
    muted, bold = Style(dim=True), Style(bold=True)
    text = Text()

    def row(label: str, value: str) -> None:
        text.append(f"{label:<12}", style=muted)
        text.append(f"{value}\n")

    text.append(f"#{st.dataset_id} {st.name}", style=bold)
    text.append(f" · {st.task}\n")
    if st.task == "audio":
        audio = st.audio
        row("files", str(audio.get("files", 0)))
        row("duration", f"{audio.get('total_duration_s', 0.0):.1f} s")
        rates = ", ".join(f"{k} Hz ({v})" for k, v in audio.get("sample_rates", {}).items())
        row("rates", rates or "-")
    else:
        row("images", str(st.images))
        row("labeled", f"{st.labeled} ({st.reviewed} reviewed, {st.background} background)")
        row("unlabeled", str(st.unlabeled))
        row("boxes", str(st.boxes))
        per_image = st.boxes_per_image
        if per_image:
            row(
                "per image",
                f"min {per_image['min']}, mean {per_image['mean']}, max {per_image['max']}",
            )
        sizes = st.image_sizes
        if sizes:
            row(
                "sizes",
                f"{sizes['min_width']}-{sizes['max_width']} x "
                f"{sizes['min_height']}-{sizes['max_height']}",
            )
        row("splits", ", ".join(f"{k} {v}" for k, v in st.splits.items()) or "-")
        text.append("\nBoxes per class\n", style=bold)
        bars = bar_chart(st.boxes_per_class, BAR_WIDTH)
        for line in bars or ["(no classes)"]:
            text.append(f"  {line}\n")
    if st.warnings:
        text.append("\nWarnings\n", style=bold)
        for warning in st.warnings:
            text.append("  ⚠ ", style="yellow")
            text.append(f"{warning}\n")
    text.append("\nBefore training\n", style=bold)
    if check.ok and not check.warnings:
        text.append("  ✔ ready to train\n", style="green")
    for error in check.errors:
        text.append("  ✘ ", style="red")
        text.append(f"{error}\n")
    for warning in check.warnings:
        text.append("  ⚠ ", style="yellow")
        text.append(f"{warning}\n")
    text.rstrip()
    return text


class DatasetsScreen(Screen[None]):
    """The datasets table and the statistics of the highlighted dataset."""

    HELP_TITLE = "Datasets"
    BINDINGS = [
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
            summary.update("No datasets yet: create one with `tuitrain dataset create NAME`")
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
