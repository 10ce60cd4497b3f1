"""Ultralytics ``results.csv``: one row per finished epoch.

Header (recent versions)::

    epoch,time,train/box_loss,train/cls_loss,train/dfl_loss,metrics/precision(B),
    metrics/recall(B),metrics/mAP50(B),metrics/mAP50-95(B),val/box_loss,val/cls_loss,
    val/dfl_loss,lr/pg0,lr/pg1,lr/pg2

Older versions pad names and values with spaces (``%23s``); both are stripped. The
``epoch`` column is 1-based; every other column becomes a :class:`MetricPoint` with
that epoch (``time`` too: seconds since the start of training). Cells that are not
numbers are skipped; a row whose epoch is not an integer is skipped whole. No
progress comes from this file.

Ultralytics opens the file in append mode for every row and never rewrites it. The
header is kept in the state and checked on every poll: when the file's first line is
no longer the saved header, or the file is shorter than the saved offset, the file
was replaced (a new training in the same folder) and is read again from byte 0, all
its rows reported as new.

State: ``{"offset": int, "header": str | None, "skipping": bool}``; ``header`` is
the raw first line including its terminator, decoded as Latin-1 so that any bytes
round-trip through JSON.

:func:`split_csv_line`, :func:`cell_float` and :func:`cell_int` are shared with the
Lightning reader.
"""

from __future__ import annotations

import csv
from typing import Any

from tuitrain.metrics import MetricPoint
from tuitrain.sources.base import CHUNK_BYTES, ReadAt, SourceBatch
from tuitrain.sources.jsonl import as_int, take_lines


def split_csv_line(line: bytes) -> list[str]:
    """Cells of one CSV line (no terminator); ``[]`` for garbage."""
    text = line.decode("utf-8", "replace").replace("\x00", "")
    try:
        for row in csv.reader([text]):
            return row
    except csv.Error:
        return []
    return []


def cell_float(cell: str) -> float | None:
    cell = cell.strip()
    if not cell:
        return None
    try:
        return float(cell)
    except ValueError:
        return None


def cell_int(cell: str) -> int | None:
    cell = cell.strip()
    if not cell:
        return None
    try:
        return as_int(int(cell))
    except ValueError:
        return as_int(cell_float(cell))


def read_chunk(
    read_at: ReadAt, offset: int, size: int, eof: bool, chunk_bytes: int
) -> tuple[bytes, bool, bool]:
    """``(data, capped, at_end)`` for :func:`take_lines`, reading from ``offset``."""
    remaining = size - offset
    if remaining <= 0:
        return b"", False, False
    n = min(remaining, chunk_bytes)
    data = read_at(offset, n)[:n]
    full = len(data) == n  # a short read (file shrinking) is retried later
    capped = full and remaining > n
    return data, capped, eof and full and not capped


def header_from(data: bytes) -> bytes | None:
    """The complete first line of ``data`` with its terminator, or None."""
    nl = data.find(b"\n")
    if nl < 0:
        return None  # even at the end: a header without rows yields nothing
    return data[: nl + 1]


def header_columns(header: bytes) -> list[str]:
    return [c.strip() for c in split_csv_line(header.rstrip(b"\r\n"))]


class UltralyticsResultsSource:
    """Incremental reader of an Ultralytics ``results.csv`` (see the module docstring)."""

    kind = "results_csv"

    def __init__(self, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.chunk_bytes = max(1, chunk_bytes)
        self.offset = 0
        self.header: bytes | None = None
        self.skipping = False
        self._columns: list[str] = []

    def state(self) -> dict[str, Any]:
        return {
            "offset": self.offset,
            "header": None if self.header is None else self.header.decode("latin-1"),
            "skipping": self.skipping,
        }

    def restore(self, state: dict[str, Any]) -> None:
        header = state.get("header")
        self.header = header.encode("latin-1", "replace") if isinstance(header, str) else None
        self._columns = header_columns(self.header) if self.header is not None else []
        self.offset = max(0, as_int(state.get("offset")) or 0) if self.header is not None else 0
        self.skipping = state.get("skipping") is True

    def _reset(self) -> None:
        self.offset = 0
        self.header = None
        self.skipping = False
        self._columns = []

    def poll(self, read_at: ReadAt, size: int, eof: bool) -> SourceBatch:
        if self.header is not None:
            if size < self.offset:
                self._reset()
            else:
                data, capped, at_end = read_chunk(read_at, self.offset, size, eof, self.chunk_bytes)
                # Checked after reading, so the rows read belong to this header.
                if read_at(0, len(self.header))[: len(self.header)] == self.header:
                    return self._rows(data, capped, at_end)
                self._reset()
        data, capped, at_end = read_chunk(read_at, 0, size, eof, self.chunk_bytes)
        header = header_from(data)
        if header is None:
            return SourceBatch()
        self.header = header
        self._columns = header_columns(header)
        self.offset = len(header)
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
            batch.metrics.extend(self._row(line))
        batch.more = capped and consumed > 0
        return batch

    def _row(self, line: bytes) -> list[MetricPoint]:
        cells = split_csv_line(line)
        if not cells:
            return []
        columns = self._columns
        epoch: int | None = None
        if "epoch" in columns:
            i = columns.index("epoch")
            epoch = cell_int(cells[i]) if i < len(cells) else None
            if epoch is None:
                return []
        points: list[MetricPoint] = []
        for name, cell in zip(columns, cells, strict=False):
            if name == "epoch" or not name:
                continue
            value = cell_float(cell)
            if value is not None:
                points.append(MetricPoint(name, value, epoch=epoch))
        return points
