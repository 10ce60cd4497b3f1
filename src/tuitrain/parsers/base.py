"""The contract of stdout parsers.

A parser is fed cleaned lines (ANSI stripped, split on ``\\r`` and ``\\n``) one at a
time and returns what it learned. It must never raise on any input, and its whole
state must round-trip through JSON (``state``/``restore``) so that a tuitrain process
that resumes following a log from a saved byte offset parses exactly as an
undisturbed one would.

Parsers see every redraw of every progress bar, so the hot paths are lean: a result's
progress is only worked out when it is read, and :func:`feed_many` feeds a whole batch
at once, giving what feeding the segments one by one gives (all metrics and the last
progress) while the built-in parsers build only that last progress.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol, cast

from tuitrain.metrics import MetricPoint, Progress


class ParseResult:
    """What one segment told: metrics (maybe none) and progress (maybe None).

    A parser may hand over the progress as a function and its argument instead; it is
    then computed when :attr:`progress` is first read, always giving the same value.
    """

    __slots__ = ("_make", "_progress", "metrics")

    def __init__(
        self, metrics: list[MetricPoint] | None = None, progress: Progress | None = None
    ) -> None:
        self.metrics: list[MetricPoint] = [] if metrics is None else metrics
        self._progress: Any = progress  # the Progress, or the argument of _make
        self._make: Callable[[Any], Progress] | None = None

    @property
    def progress(self) -> Progress | None:
        make = self._make
        if make is not None:
            self._progress = make(self._progress)
            self._make = None
        return cast("Progress | None", self._progress)

    @progress.setter
    def progress(self, value: Progress | None) -> None:
        self._progress, self._make = value, None

    def __bool__(self) -> bool:
        return bool(self.metrics) or self._make is not None or self._progress is not None

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        assert isinstance(other, ParseResult)
        return (self.metrics, self.progress) == (other.metrics, other.progress)

    __hash__ = None  # type: ignore[assignment]  # mutable, as the dataclass it was

    def __repr__(self) -> str:
        return f"ParseResult(metrics={self.metrics!r}, progress={self.progress!r})"


_object_new = object.__new__


def deferred(metrics: list[MetricPoint], make: Callable[[Any], Progress], arg: Any) -> ParseResult:
    """A result whose progress is ``make(arg)``, computed only if it is read."""
    result: ParseResult = _object_new(ParseResult)
    result.metrics = metrics
    result._progress = arg
    result._make = make
    return result


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


Batch = tuple[list[MetricPoint], Progress | None]


def feed_each(parser: OutputParser, segments: Sequence[tuple[str, bool]]) -> Batch:
    """Every segment through ``parser.feed``: all metrics in order and the last progress."""
    metrics: list[MetricPoint] = []
    progress: Progress | None = None
    feed = parser.feed
    for line, final in segments:
        result = feed(line, final)
        if result.metrics:
            metrics += result.metrics
        if result.progress is not None:
            progress = result.progress
    return metrics, progress


def feed_many(parser: OutputParser, segments: Sequence[tuple[str, bool]]) -> Batch:
    """What feeding ``segments`` (``(text, final)`` pairs, e.g. :class:`Segment` s) one
    by one gives: all metrics in order and the last progress any of them gave.

    Uses the parser's own ``feed_many`` where it has one (same result, less work).
    """
    many = getattr(parser, "feed_many", None)
    if many is None:
        return feed_each(parser, segments)
    return cast(Callable[[Sequence[tuple[str, bool]]], Batch], many)(segments)


class ScanningParser:
    """A parser written as one ``_scan`` that takes a segment in and returns the
    metrics it releases, leaving what its progress needs in ``_progress_args``; progress is
    built by ``_progress`` only when someone reads it (most redraws are overwritten)."""

    _progress_args: Any = None

    def _scan(self, line: str, final: bool) -> list[MetricPoint] | None:
        raise NotImplementedError

    def _progress(self, pending: Any) -> Progress:
        raise NotImplementedError

    def feed(self, line: str, final: bool) -> ParseResult:
        try:
            metrics = self._scan(line, final)
            pending = self._progress_args
            if pending is None:
                return ParseResult(metrics) if metrics else EMPTY
            self._progress_args = None
            return deferred(metrics or [], self._progress, pending)
        except Exception:  # pragma: no cover - a parser must never stop a follower
            self._progress_args = None
            return EMPTY

    def feed_many(self, segments: Iterable[tuple[str, bool]]) -> Batch:
        """What :meth:`feed` gives for each segment in turn: all metrics and the last
        progress. Only that progress is built."""
        metrics: list[MetricPoint] = []
        last: Any = None
        scan = self._scan
        for line, final in segments:
            try:
                found = scan(line, final)
            except Exception:  # pragma: no cover - a parser must never stop a follower
                self._progress_args = None
                continue
            if found:
                metrics += found
            if self._progress_args is not None:
                last = self._progress_args
                self._progress_args = None
        return metrics, None if last is None else self._progress(last)

    def _feed(self, line: str, final: bool) -> ParseResult:
        """:meth:`feed` without its safety net."""
        metrics = self._scan(line, final)
        pending, self._progress_args = self._progress_args, None
        if pending is None:
            return ParseResult(metrics) if metrics else EMPTY
        return ParseResult(metrics or [], self._progress(pending))
