"""Write ``metrics.jsonl`` from inside a training: the file tuitrain follows.

Standard library only and no tuitrain imports: this file runs inside the training's
environment (torch, ultralytics, ...) and may be imported by file path::

    spec = importlib.util.spec_from_file_location("tuitrain_emit", path)

One JSON object per line (the format is documented in
``tuitrain/sources/jsonl.py``)::

    {"t": 1732300000.1, "step": 12, "epoch": 1, "metrics": {"train/loss": 0.5},
     "progress": {"epoch": 1, "total_epochs": 2, "step": 3, "total_steps": 4}}

Each record is appended with a single unbuffered ``write`` on a file opened with
``O_APPEND``, so it is on disk for readers as soon as :meth:`MetricsWriter.log`
returns. Values that cannot be turned into numbers are left out rather than failing
the training; tensors and numpy scalars are converted with ``float()``. Log from one
process only (rank 0 in distributed runs).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from types import TracebackType
from typing import Any

_PROGRESS_INTS = ("epoch", "total_epochs", "step", "total_steps")
_PROGRESS_FLOATS = ("rate", "eta_s")


def _to_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError, OverflowError, RuntimeError):
        # RuntimeError: a tensor of more than one element
        return None


def _to_int(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError, RuntimeError):
        return None


class MetricsWriter:
    """Appends metric records to ``path`` (created, with its folder, if missing)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.fspath(path)
        folder = os.path.dirname(self.path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        if not self._ends_with_newline():
            # A previous writer died mid-line: start on a fresh line so the reader
            # skips the broken record instead of losing the next one too.
            self._write(b"\n")

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as f:
            f.seek(0, os.SEEK_END)
            if f.tell() == 0:
                return True
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"

    def _write(self, data: bytes) -> None:
        if self._fd is None:
            raise ValueError("MetricsWriter is closed")
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def log(
        self,
        metrics: Mapping[str, Any],
        step: int | None = None,
        epoch: int | None = None,
        progress: Mapping[str, Any] | None = None,
    ) -> None:
        """Append one record: ``metrics`` (name -> number) at ``step``/``epoch``.

        ``progress`` may carry ``epoch``, ``total_epochs``, ``step``, ``total_steps``,
        ``rate`` (it/s) and ``eta_s`` (seconds left).
        """
        record: dict[str, Any] = {"t": time.time()}
        step_i = _to_int(step)
        if step_i is not None:
            record["step"] = step_i
        epoch_i = _to_int(epoch)
        if epoch_i is not None:
            record["epoch"] = epoch_i
        values: dict[str, float] = {}
        for name, raw in metrics.items():
            value = _to_float(raw)
            if value is not None:
                values[str(name)] = value
        if values:
            record["metrics"] = values
        prog: dict[str, Any] = {}
        if progress:
            for key in _PROGRESS_INTS:
                i = _to_int(progress.get(key))
                if i is not None:
                    prog[key] = i
            for key in _PROGRESS_FLOATS:
                f = _to_float(progress.get(key))
                if f is not None:
                    prog[key] = f
        if prog:
            record["progress"] = prog
        if not values and not prog:
            return
        line = json.dumps(record, separators=(",", ":")) + "\n"
        self._write(line.encode("utf-8"))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> MetricsWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
