"""Lightning ``CSVLogger`` ``metrics.csv``: sparse rows of logged metrics.

The header holds the sorted names of every key logged so far, including ``epoch``
(Lightning's 0-based ``current_epoch``, kept as is) and ``step`` (the global step);
each row holds the metrics of one ``log_metrics`` call and leaves the others empty::

    epoch,step,train_loss,val_loss
    0,49,0.91,
    0,99,0.85,
    0,99,,0.88

Every non-empty numeric cell except ``epoch``/``step`` becomes a
:class:`MetricPoint` with that row's epoch and step. Rows are buffered by Lightning
and written every ``flush_logs_every_n_steps``.

When a save brings keys the header lacks, Lightning rewrites the whole file
(``_rewrite_with_new_header``: truncate, write the wider header, write every earlier
row again, then append). The reader keeps the header in its state and compares the
file's first line with it on every poll, *after* reading the rows, so rows read from
a file that was being rewritten meanwhile are thrown away. When the header changed it
reads again from the start and skips the rows it already reported: ``rows`` counts
the data rows before ``offset`` in the current file, ``done`` the rows ever reported.
A rewrite seen half-way (header not complete yet, or fewer rows than ``done``) just
waits or skips what is there. Blank lines are not rows (as for ``csv.DictReader``).

A file that still starts with the saved header but is shorter than ``offset`` was
replaced (Lightning deletes ``metrics.csv`` when a new run reuses the version folder):
it is read from byte 0 and all its rows are reported as new. A replacement with a
different header cannot be told from a rewrite and is treated as one.

State: ``{"offset": int, "header": str | None, "rows": int, "done": int,
"skipping": bool}``; ``header`` is the raw first line with its terminator, decoded as
Latin-1 so that any bytes round-trip through JSON.
"""

from __future__ import annotations

from typing import Any

from tuitrain.metrics import MetricPoint
from tuitrain.sources.base import CHUNK_BYTES, ReadAt, SourceBatch
from tuitrain.sources.jsonl import as_int, take_lines
from tuitrain.sources.ultralytics_csv import (
    cell_float,
    cell_int,
    header_columns,
    header_from,
    read_chunk,
    split_csv_line,
)


class LightningCsvSource:
    """Incremental reader of a Lightning ``metrics.csv`` (see the module docstring)."""

    kind = "lightning_csv"

    def __init__(self, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.chunk_bytes = max(1, chunk_bytes)
        self.offset = 0
        self.header: bytes | None = None
        self.rows = 0
        self.done = 0
        self.skipping = False
        self._columns: list[str] = []

    def state(self) -> dict[str, Any]:
        return {
            "offset": self.offset,
            "header": None if self.header is None else self.header.decode("latin-1"),
            "rows": self.rows,
            "done": self.done,
            "skipping": self.skipping,
        }

    def restore(self, state: dict[str, Any]) -> None:
        header = state.get("header")
        self.header = header.encode("latin-1", "replace") if isinstance(header, str) else None
        self._columns = header_columns(self.header) if self.header is not None else []
        known = self.header is not None
        self.offset = max(0, as_int(state.get("offset")) or 0) if known else 0
        self.rows = max(0, as_int(state.get("rows")) or 0) if known else 0
        self.done = max(0, as_int(state.get("done")) or 0)
        self.skipping = known and state.get("skipping") is True

    def poll(self, read_at: ReadAt, size: int, eof: bool) -> SourceBatch:
        if self.header is not None:
            data, capped, at_end = read_chunk(read_at, self.offset, size, eof, self.chunk_bytes)
            if read_at(0, len(self.header))[: len(self.header)] == self.header:
                if size >= self.offset:
                    return self._rows(data, capped, at_end)
                self.done = 0  # same header, shorter file: replaced, all rows are new
        # First poll, or the header changed: (re)read from the start.
        data, capped, at_end = read_chunk(read_at, 0, size, eof, self.chunk_bytes)
        header = header_from(data)
        if header is None:
            return SourceBatch()  # being (re)written: keep the state, look again later
        self.header = header
        self._columns = header_columns(header)
        self.offset = len(header)
        self.rows = 0
        self.skipping = False
        # The rows after the header did not fill a whole read: none is over-long.
        batch = self._rows(data[len(header) :], False, at_end)
        batch.more = capped
        return batch

    def _rows(self, data: bytes, capped: bool, at_end: bool) -> SourceBatch:
        batch = SourceBatch()
        lines, consumed, self.skipping = take_lines(
            data, capped=capped, at_end=at_end, skipping=self.skipping
        )
        self.offset += consumed
        for line in lines:
            if not line:
                continue
            index = self.rows
            self.rows += 1
            if index < self.done:
                continue  # reported before the file was rewritten
            self.done = self.rows
            batch.metrics.extend(self._row(line))
        batch.more = capped and consumed > 0
        return batch

    def _row(self, line: bytes) -> list[MetricPoint]:
        cells = split_csv_line(line)
        epoch: int | None = None
        step: int | None = None
        values: list[tuple[str, float]] = []
        for name, cell in zip(self._columns, cells, strict=False):
            if name == "epoch":
                epoch = cell_int(cell)
            elif name == "step":
                step = cell_int(cell)
            elif name:
                value = cell_float(cell)
                if value is not None:
                    values.append((name, value))
        return [MetricPoint(name, value, step=step, epoch=epoch) for name, value in values]
