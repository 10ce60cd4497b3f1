"""The contract of stdout parsers.

A parser is fed cleaned lines (ANSI stripped, split on ``\\r`` and ``\\n``) one at a
time and returns what it learned. It must never raise on any input, and its whole
state must round-trip through JSON (``state``/``restore``) so that a tuitrain process
that resumes following a log from a saved byte offset parses exactly as an
undisturbed one would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from tuitrain.metrics import MetricPoint, Progress


@dataclass(slots=True)
class ParseResult:
    metrics: list[MetricPoint] = field(default_factory=list)
    progress: Progress | None = None

    def __bool__(self) -> bool:
        return bool(self.metrics) or self.progress is not None


EMPTY = ParseResult()


class OutputParser(Protocol):
    """Turns a tool's console output into metrics and progress."""

    name: str

    def feed(self, line: str, final: bool) -> ParseResult:
        """One segment of output.

        ``final`` is True when the segment ended with ``\\n`` (a line that stays on
        screen) and False when it ended with ``\\r`` (a progress-bar redraw that the
        next segment overwrites).
        """
        ...

    def state(self) -> dict[str, Any]:
        """JSON-serialisable state needed to continue parsing later."""
        ...

    def restore(self, state: dict[str, Any]) -> None:
        """Continue from a state produced by :meth:`state`."""
        ...
