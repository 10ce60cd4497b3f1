"""The contract of metric sources: things in a run folder read incrementally.

A source owns its read position. The ingester restores a source from the state saved
in the database, calls :meth:`MetricSource.poll`, and saves the returned metrics
together with the new state in one transaction, so every byte is counted once even
when several tuitrain processes follow the same run or one is killed mid-way.

``read_at(offset, size)`` returns up to ``size`` bytes of the file starting at
``offset`` (fewer at the end of the file). It hides where the file is (local disk
now, an SSH host later), so sources never open files themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from tuitrain.metrics import MetricPoint, Progress

ReadAt = Callable[[int, int], bytes]

# Bytes read per poll; the ingester polls again while a source reports ``more``.
CHUNK_BYTES = 4 * 1024 * 1024


@dataclass(slots=True)
class SourceBatch:
    metrics: list[MetricPoint] = field(default_factory=list)
    progress: Progress | None = None
    lines: list[str] = field(default_factory=list)  # console lines, for output events
    lines_dropped: int = 0  # console lines left out of ``lines`` to keep batches small
    more: bool = False  # True when the file has unread bytes beyond this batch


class MetricSource(Protocol):
    kind: str

    def poll(self, read_at: ReadAt, size: int, eof: bool) -> SourceBatch:
        """Read what is new. ``size`` is the file's current size; ``eof`` is True once
        the writer has exited (a trailing partial line may then be consumed)."""
        ...

    def state(self) -> dict[str, Any]:
        """JSON-serialisable state, including the read offset."""
        ...

    def restore(self, state: dict[str, Any]) -> None: ...
