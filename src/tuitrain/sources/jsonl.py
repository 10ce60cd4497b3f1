"""``metrics.jsonl``: the metric file tuitrain's own runners write.

Format: UTF-8, one JSON object per line, appended and flushed one line at a time
(see :class:`tuitrain.runners.emit.MetricsWriter`)::

    {"t": 1732300000.1, "step": 12, "epoch": 1,
     "metrics": {"train/loss": 0.5, "lr/pg0": 0.001},
     "progress": {"epoch": 1, "total_epochs": 2, "step": 3, "total_steps": 4}}

(on one line). Every key is optional, but a useful record has ``metrics`` or
``progress``:

``t``
    wall-clock time (Unix seconds, float) -> ``MetricPoint.wall_time``.
``step`` / ``epoch``
    integers (an integral float such as ``3.0`` is accepted) attached to every metric
    of the record.
``metrics``
    object of name -> number. Each number becomes one :class:`MetricPoint`. Values that
    are not numbers (strings, booleans, null, nested objects) are skipped. ``NaN`` and
    ``Infinity`` (which Python's ``json`` writes and reads) are kept: a diverging loss
    is worth seeing.
``progress``
    object with any of ``epoch``, ``total_epochs``, ``step``, ``total_steps`` (ints)
    and ``rate``, ``eta_s`` (floats), the fields of :class:`Progress`. The last
    progress in a batch is reported.

Reading rules: only complete lines (ending with ``\\n``) are consumed while the
writer runs; once it is gone (``eof``) a trailing line without newline is consumed
too. Lines that are not a JSON object, and fields of the wrong type, are skipped.
A line longer than the read limit is dropped. A file that became shorter than the
saved offset was replaced or truncated: reading restarts from byte 0 (its metrics
are those of a new file, so they are reported again).

State: ``{"offset": int, "skipping": bool}`` (``skipping``: inside a dropped
over-long line).

:func:`take_lines` is the line splitting shared by the line-based sources (this one
and the CSV readers).
"""

from __future__ import annotations

import json
import math
from typing import Any

from tuitrain.metrics import MetricPoint, Progress
from tuitrain.sources.base import CHUNK_BYTES, ReadAt, SourceBatch

_INT64_MIN = -(2**63)
_INT64_MAX = 2**63 - 1


def take_lines(
    data: bytes, *, capped: bool, at_end: bool, skipping: bool
) -> tuple[list[bytes], int, bool]:
    """Complete lines of ``data`` (terminator ``\\n`` or ``\\r\\n`` removed).

    ``data`` starts at a line start (or inside a line being dropped when
    ``skipping``). ``capped``: more bytes follow in the file than were read.
    ``at_end``: the writer is gone and ``data`` reaches the end of the file, so a
    trailing line without newline is complete too.

    Returns ``(lines, consumed, skipping)``: the bytes used, and whether the reader is
    now inside an over-long line (longer than a whole read) that is being dropped.
    """
    end = data.rfind(b"\n") + 1
    if at_end:
        end = len(data)
    if end == 0:
        if capped and data:  # no newline in a whole read: drop this over-long line
            return [], len(data), True
        return [], 0, skipping
    block = data[:end]
    pieces = block.split(b"\n")
    if block.endswith(b"\n"):
        pieces.pop()
    if skipping and pieces:
        pieces = pieces[1:]  # the end of the dropped line
        skipping = False
    lines = [p[:-1] if p.endswith(b"\r") else p for p in pieces]
    return lines, end, skipping


def as_int(value: Any) -> int | None:
    """An int64 from a JSON/CSV value, or None (booleans and fractions are not ints)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, float):
        if not value.is_integer():
            return None
        value = int(value)
    if isinstance(value, int) and _INT64_MIN <= value <= _INT64_MAX:
        return value
    return None


def as_float(value: Any) -> float | None:
    """A float from a JSON number (not a boolean), or None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return float(value)
    except OverflowError:  # an int beyond the float range
        return None


_PROGRESS_INTS = ("epoch", "total_epochs", "step", "total_steps")
_PROGRESS_FLOATS = ("rate", "eta_s")


def _progress(data: Any) -> Progress | None:
    if not isinstance(data, dict):
        return None
    fields: dict[str, Any] = {}
    for key in _PROGRESS_INTS:
        i = as_int(data.get(key))
        if i is not None:
            fields[key] = i
    for key in _PROGRESS_FLOATS:
        f = as_float(data.get(key))
        if f is not None and math.isfinite(f):
            fields[key] = f
    return Progress(**fields) if fields else None


def parse_record(line: bytes) -> tuple[list[MetricPoint], Progress | None]:
    """Metrics and progress of one ``metrics.jsonl`` line; nothing for garbage."""
    if not line.strip():
        return [], None
    try:
        obj = json.loads(line)
    except (ValueError, RecursionError):  # bad JSON or UTF-8, absurd nesting
        return [], None
    if not isinstance(obj, dict):
        return [], None
    wall = as_float(obj.get("t"))
    if wall is not None and not math.isfinite(wall):
        wall = None
    step = as_int(obj.get("step"))
    epoch = as_int(obj.get("epoch"))
    points: list[MetricPoint] = []
    metrics = obj.get("metrics")
    if isinstance(metrics, dict):
        for name, raw in metrics.items():
            value = as_float(raw)
            if name and value is not None:
                points.append(MetricPoint(name, value, step, epoch, wall))
    return points, _progress(obj.get("progress"))


class JsonlMetricsSource:
    """Incremental reader of a ``metrics.jsonl`` file (see the module docstring)."""

    kind = "jsonl"

    def __init__(self, chunk_bytes: int = CHUNK_BYTES) -> None:
        self.chunk_bytes = max(1, chunk_bytes)
        self.offset = 0
        self.skipping = False

    def state(self) -> dict[str, Any]:
        return {"offset": self.offset, "skipping": self.skipping}

    def restore(self, state: dict[str, Any]) -> None:
        self.offset = max(0, as_int(state.get("offset")) or 0)
        self.skipping = state.get("skipping") is True

    def poll(self, read_at: ReadAt, size: int, eof: bool) -> SourceBatch:
        batch = SourceBatch()
        if size < self.offset:  # replaced or truncated: a new file
            self.offset = 0
            self.skipping = False
        remaining = size - self.offset
        if remaining <= 0:
            return batch
        n = min(remaining, self.chunk_bytes)
        data = read_at(self.offset, n)[:n]
        full = len(data) == n  # a short read (file shrinking) is retried later
        capped = full and remaining > n
        at_end = eof and full and not capped
        lines, consumed, self.skipping = take_lines(
            data, capped=capped, at_end=at_end, skipping=self.skipping
        )
        self.offset += consumed
        for line in lines:
            points, progress = parse_record(line)
            batch.metrics.extend(points)
            if progress is not None:
                batch.progress = progress
        batch.more = capped and consumed > 0
        return batch
