"""Which lines of a log match: search patterns and an incrementally built filter.

The filter keeps matching line numbers only (8 bytes each) and streams through the
file with :meth:`LogIndex.matching_lines`, so filtering a 1 GB log costs what the
matches cost.
"""

from __future__ import annotations

import re
from array import array
from bisect import bisect_right
from typing import Protocol

from tuitrain.output.log_index import LogIndex


def compile_query(
    text: str, regex: bool = False, case_sensitive: bool | None = None
) -> re.Pattern[str]:
    """A search pattern: literal unless ``regex``; smart case unless told (case
    matters only when the query has capitals); ``^`` and ``$`` match at each line.
    Raises :class:`re.error`."""
    if case_sensitive is None:
        case_sensitive = text != text.lower()
    flags = re.MULTILINE | (0 if case_sensitive else re.IGNORECASE)
    return re.compile(text if regex else re.escape(text), flags)


class LineFilter:
    """The lines of a :class:`LogIndex` that match a pattern, built incrementally."""

    def __init__(self, index: LogIndex, pattern: re.Pattern[str]) -> None:
        self.index = index
        self.pattern = pattern
        self.lines = array("q")
        self.scanned = 0  # stable lines looked at so far
        self.tail_matches = False  # the unfinished last line matches (checked on update)
        self.generation = index.generation

    def update(self, max_lines: int | None = None) -> bool:
        """Look at lines indexed since the last call; True when the result changed."""
        if self.generation != self.index.generation:
            self.lines, self.scanned, self.generation = array("q"), 0, self.index.generation
        before = (len(self.lines), self.tail_matches)
        stable = self.index.stable_lines
        last = stable - 1 if max_lines is None else min(stable, self.scanned + max_lines) - 1
        self.lines.extend(self.index.matching_lines(self.pattern, self.scanned, last))
        self.scanned = max(self.scanned, last + 1)
        count = self.index.line_count
        self.tail_matches = count > stable and bool(
            self.pattern.search(self.index.line_text(stable))
        )
        return (len(self.lines), self.tail_matches) != before

    @property
    def done(self) -> bool:
        return self.scanned >= self.index.stable_lines

    def __len__(self) -> int:
        return len(self.lines) + self.tail_matches

    def line_at(self, k: int) -> int:
        """The file line shown at row ``k`` of the filtered view."""
        return self.lines[k] if k < len(self.lines) else self.index.stable_lines

    def row_of(self, line: int) -> int:
        """The filtered row at or before file line ``line``."""
        return max(0, bisect_right(self.lines, line) - 1)

    def __contains__(self, line: int) -> bool:
        k = bisect_right(self.lines, line) - 1
        if k >= 0 and self.lines[k] == line:
            return True
        return self.tail_matches and line == self.index.stable_lines


class Cancellable(Protocol):
    @property
    def is_cancelled(self) -> bool: ...


def find_next(
    index: LogIndex,
    pattern: re.Pattern[str],
    start: int,
    backwards: bool = False,
    within: LineFilter | None = None,
    task: Cancellable | None = None,
) -> tuple[int | None, bool] | None:
    """(line, wrapped): the next match from ``start`` on (back from it), going round
    the end once; only lines ``within`` a filter when given. None when ``task`` was
    cancelled meanwhile."""
    last = index.line_count - 1
    ranges = [(0, start), (start + 1, last)] if backwards else [(start, last), (0, start - 1)]
    for attempt, (first, end) in enumerate(ranges):
        for line in index.matching_lines(pattern, first, end, backwards=backwards):
            if task is not None and task.is_cancelled:
                return None
            if within is None or line in within:
                return line, attempt > 0
    return None, True
