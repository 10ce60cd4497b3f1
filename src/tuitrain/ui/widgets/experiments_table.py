"""The experiments table: one row per run, updated in place as events arrive.

The table keeps its rows (``RunRow``) itself and shows the ones its filter keeps.
Columns are fitted to the width: when the terminal is narrow the least useful columns
go first (host, started, duration...), never the name, status or progress.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.color import Color, ColorParseError
from textual.widgets import DataTable

from tuitrain.runs.states import RunStatus
from tuitrain.ui.widgets.run_rows import (
    STATUS_COLOURS,
    RunFilter,
    RunRow,
    duration_text,
    epoch_or_step,
    eta_text,
    metric_text,
    progress_bar,
    queue_places,
    started_text,
)

if TYPE_CHECKING:
    from tuitrain.store.models import Experiment

NAME_MIN, NAME_PREFERRED, NAME_MAX = 14, 18, 32


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int
    keep: int  # 0: always shown; otherwise lower numbers stay longer when space runs out


COLUMNS: tuple[Column, ...] = (
    Column("id", "#", 4, 0),
    Column("name", "Name", NAME_MIN, 0),
    Column("framework", "Kind", 6, 6),
    Column("host", "Host", 8, 9),
    Column("status", "Status", 9, 0),
    Column("bar", "Progress", 10, 0),
    Column("steps", "Epoch/step", 13, 4),
    Column("metric", "Key metric", 14, 2),
    Column("eta", "ETA", 7, 3),
    Column("started", "Started", 11, 8),
    Column("duration", "Duration", 8, 7),
)
# Not a column: the name widened to its preferred width, which comes before the
# columns that are nice to have (kind, duration, started, host).
NAME_PAD = Column("name+", "", NAME_PREFERRED - NAME_MIN, 5)
TIMED = ("eta", "duration", "started")  # cells that change with the clock alone


def fit_columns(width: int, padding: int = 1) -> tuple[Column, ...]:
    """The columns that fit in ``width`` cells, the name widened with what is left."""
    chosen = {c.key for c in COLUMNS if c.keep == 0}
    used = sum(c.width + 2 * padding for c in COLUMNS if c.keep == 0)
    name_width = NAME_MIN
    for col in sorted((c for c in (*COLUMNS, NAME_PAD) if c.keep), key=lambda c: c.keep):
        extra = col.width if col is NAME_PAD else col.width + 2 * padding
        if used + extra > width:
            break  # strictly in order: what goes first is predictable
        used += extra
        if col is NAME_PAD:
            name_width += col.width
        else:
            chosen.add(col.key)
    name_width = min(NAME_MAX, name_width + max(0, width - used))
    return tuple(
        Column(c.key, c.label, name_width if c.key == "name" else c.width, c.keep)
        for c in COLUMNS
        if c.key in chosen
    )


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


class ExperimentsTable(DataTable[Text]):
    """Runs, newest first. ``enter`` opens the run under the cursor."""

    BINDINGS = [Binding("enter", "select_cursor", "Open", tooltip="Open the run under the cursor")]

    DEFAULT_CSS = """
    ExperimentsTable { height: 1fr; overflow-x: hidden; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=False)
        self.runs: dict[int, RunRow] = {}
        self.filter = RunFilter()
        self._layout: tuple[Column, ...] = ()
        self._shown: list[int] = []
        self._styles: dict[str, Style] = {}
        self._mark_style = Style(bold=True)

    # -- what the screen calls -------------------------------------------------------
    @property
    def shown_ids(self) -> list[int]:
        return list(self._shown)

    @property
    def cursor_id(self) -> int | None:
        if not self._shown or not 0 <= self.cursor_row < len(self._shown):
            return None
        return self._shown[self.cursor_row]

    @property
    def marked_ids(self) -> list[int]:
        return sorted(rid for rid, row in self.runs.items() if row.marked)

    def merge_runs(
        self,
        records: Iterable[Experiment],
        metrics: dict[int, dict[str, float]] | None = None,
        complete: bool = False,
    ) -> None:
        """Fresh records: known rows keep their marks and live metrics, new ones are
        added; with ``complete`` (every run was read) rows not in it are removed."""
        metrics = metrics or {}
        seen: set[int] = set()
        for exp in records:
            if exp.id is None:
                continue
            seen.add(exp.id)
            row = self.runs.get(exp.id)
            if row is None:
                self.runs[exp.id] = RunRow.of(exp, metrics.get(exp.id))
            else:
                row.replace_record(exp)
                if exp.id in metrics:  # re-read from the store (another process ingested)
                    row.metrics.update(metrics[exp.id])
        if complete:
            for rid in set(self.runs) - seen:
                del self.runs[rid]
        self.rebuild()

    def set_filter(self, run_filter: RunFilter) -> None:
        self.filter = run_filter
        self.rebuild()

    def remove_run(self, rid: int) -> None:
        if self.runs.pop(rid, None) is not None:
            self.rebuild()

    def refresh_runs(self, ids: Iterable[int]) -> None:
        """Redraw the rows of ``ids`` in place (rebuild only if one appears or goes)."""
        ids = [rid for rid in ids if rid in self.runs]
        kept = [rid for rid in ids if self.filter.keeps(self.runs[rid])]
        if set(ids) & set(self._shown) != set(kept):
            self.rebuild()
            return
        for rid in kept:
            self._update_row(rid, (c.key for c in self._layout))

    def tick(self) -> None:
        """Clock-driven cells of active runs (ETA, duration), once a second."""
        for rid in self._shown:
            if self.runs[rid].status.is_active:
                self._update_row(rid, TIMED)

    def toggle_mark(self) -> int | None:
        rid = self.cursor_id
        if rid is None:
            return None
        self.runs[rid].marked = not self.runs[rid].marked
        self._update_row(rid, ("id",))
        return rid

    # -- building --------------------------------------------------------------------
    def on_mount(self) -> None:
        self._read_colours()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._recolour())

    def on_resize(self, event: events.Resize) -> None:
        if fit_columns(self._usable_width(event.size.width)) != self._layout:
            self.rebuild()

    def _recolour(self) -> None:
        self._read_colours()
        self.rebuild()

    def _read_colours(self) -> None:
        """Rich styles from the theme's colours (so they follow the theme, and hold in
        256-colour tmux, where Textual maps them down)."""
        variables = self.app.get_css_variables()
        self._styles = {"muted": Style(dim=True)}
        with contextlib.suppress(ColorParseError):
            accent = Color.parse(variables.get("accent", ""))
            self._mark_style = Style(color=accent.rich_color, bold=True)
        for name in set(STATUS_COLOURS.values()):
            try:
                colour = Color.parse(variables.get(name, ""))
            except ColorParseError:
                self._styles[name] = Style(dim=True)
                continue
            self._styles[name] = Style(color=colour.rich_color)

    def _usable_width(self, width: int | None = None) -> int:
        width = self.size.width if width is None else width
        return max(0, width - self.styles.scrollbar_size_vertical)

    def rebuild(self) -> None:
        """Re-add the shown rows (and the columns when the width asks for others)."""
        keep = self.cursor_id
        layout = fit_columns(self._usable_width() or 80)
        if layout != self._layout:
            self.clear(columns=True)
            self._layout = layout
            for col in layout:
                self.add_column(Text(col.label), width=col.width, key=col.key)
        else:
            self.clear()
        rows = sorted(self.runs.values(), key=lambda r: r.id, reverse=True)
        self._shown = [r.id for r in rows if self.filter.keeps(r)]
        for rid in self._shown:
            self.add_row(*self._cells(self.runs[rid], [c.key for c in layout]), key=str(rid))
        if keep is not None and keep in self._shown:
            self.move_cursor(row=self._shown.index(keep), animate=False)

    def _update_row(self, rid: int, keys: Iterable[str]) -> None:
        keys = set(keys)  # once: a generator would be spent after the first column
        wanted = [c.key for c in self._layout if c.key in keys]
        row_key = str(rid)
        for key, cell in zip(wanted, self._cells(self.runs[rid], wanted), strict=True):
            # Each update_cell drops the table's whole render cache: only when it differs.
            if self.get_cell(row_key, key) != cell:
                self.update_cell(row_key, key, cell)

    def _cells(self, row: RunRow, keys: list[str]) -> list[Text]:
        widths = {c.key: c.width for c in self._layout}
        colour = self._styles.get(STATUS_COLOURS.get(row.exp.status, "muted"), Style())
        muted = self._styles.get("muted", Style())
        cells: list[Text] = []
        note = row.note
        for key in keys:
            if key == "id":
                cell = Text()
                cell.append("●" if row.marked else " ", style=self._mark_style)
                cell.append(str(row.id))
                cells.append(cell)
            elif key == "name":
                cells.append(Text(clip(row.exp.name, widths[key])))
            elif key == "framework":
                cells.append(Text(clip(row.exp.framework, widths[key])))
            elif key == "host":
                cells.append(Text(clip(row.exp.host, widths[key])))
            elif key == "status":
                status = row.exp.status
                if row.status is RunStatus.QUEUED:
                    status = f"QUEUED #{queue_places(self.runs.values()).get(row.id, '?')}"
                cells.append(Text(status, style=colour + Style(bold=True)))
            elif key == "bar":
                cells.append(progress_bar(row, widths[key], colour, muted))
            elif key == "steps":
                cells.append(Text(epoch_or_step(row.progress)))
            elif key == "metric" and note:
                cells.append(Text(clip(note, widths[key]), style=muted))
            elif key == "metric":
                cells.append(Text(metric_text(row, widths[key])))
            elif key == "eta":
                cells.append(Text(eta_text(row)))
            elif key == "started":
                cells.append(Text(started_text(row.exp.started_at)))
            elif key == "duration":
                cells.append(Text(duration_text(row)))
        return cells
