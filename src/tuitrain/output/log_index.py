"""A lazily read, incrementally indexed log file (what the log viewer shows).

Only the start offset of every line is kept in memory (4 bytes a line, see
:class:`~tuitrain.output.line_starts.LineStarts`), lines are
read from the file when shown, and searching or filtering streams through the file
in chunks, so a 1 GB log costs tens of megabytes. A line shows what a terminal would
leave on screen: the last ``\\r`` redraw of a progress bar, without escape codes.

Indexing happens in :meth:`LogIndex.refresh` (call it from a worker thread, with
``max_bytes`` to report progress between calls); reads may run concurrently.
"""

from __future__ import annotations

import os
import re
import threading
from array import array
from bisect import bisect_right
from collections.abc import Iterator
from pathlib import Path

from tuitrain.output.line_starts import LineStarts
from tuitrain.output.lines import MAX_LINE_BYTES, TRUNCATION_MARK, strip_ansi

CHUNK = 1 << 20  # bytes read at a time: 4 while indexing, 1 while searching (as text)
INDEX_CHUNKS = 4
LINE_READ_CAP = 64 << 10  # a longer line is shown from its last redraw or head only
_SPECIAL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # \r, tabs, other controls
# lines.py's escape codes, but an unterminated OSC never runs past the end of a line.
_ANSI_IN_LINE = re.compile(
    r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
)
_CONTROL = dict.fromkeys([*range(0, 9), *range(11, 32), 127])


def display_text(raw: bytes) -> str:
    """How a terminal would show one raw line: the last redraw, no escape codes."""
    return visible_text(raw.decode("utf-8", "replace"))


def visible_text(text: str) -> str:
    """:func:`display_text` of an already decoded line."""
    if "\r" in text:
        for part in reversed(text.split("\r")):
            part = strip_ansi(part)
            if part.strip():
                text = part
                break
        else:
            text = ""
    elif "\x1b" in text:
        text = strip_ansi(text)
    return text.translate(_CONTROL).expandtabs()


class LogIndex:
    """Line offsets of a (growing) log file, built incrementally by :meth:`refresh`."""

    def __init__(self, path: str | Path, start: int = 0) -> None:
        self.path = Path(path)
        self.start = start  # first byte looked at; a partial first line is skipped
        self.generation = 0  # bumped when the file shrank and the index started over
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._closed = False
        self._reset()

    def _reset(self) -> None:
        self._starts = LineStarts()
        self._scanned = self.start  # bytes looked at for newlines
        self._size = -1  # file size at the last refresh (-1: no file yet)
        self._looked = False
        self._aligned = self.start == 0

    # -- indexing --------------------------------------------------------------------
    def _open(self) -> int | None:
        with self._lock:
            if self._fd is None and not self._closed:
                try:
                    self._fd = os.open(self.path, os.O_RDONLY)
                except FileNotFoundError:
                    return None
            return self._fd

    def close(self) -> None:
        """Let the file go; reads return nothing from now on."""
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
            self._fd, self._closed = None, True

    def refresh(self, max_bytes: int | None = None) -> bool:
        """Index bytes appended since the last call (at most ``max_bytes``); True when
        anything visible changed."""
        fd = self._open()
        if fd is None:
            self._looked = True
            return False
        size = os.fstat(fd).st_size
        if size < self._scanned:  # truncated or replaced: start over from the top
            with self._lock:
                self.start = 0
                self._reset()
                self.generation += 1
        if not self._aligned and size > self.start:
            found = self._find_newline(fd, self.start - 1 if self.start else 0, size)
            if found is None:
                self._looked = True
                return False
            with self._lock:
                self.start = self._scanned = found + 1
                self._aligned = True
        end = size if max_bytes is None else min(size, self._scanned + max_bytes)
        with self._lock:
            changed, self._size, self._looked = size != self._size, size, True
        while self._scanned < end:
            self._scan_window(fd, end)
            changed = True
        return changed

    def _find_newline(self, fd: int, pos: int, size: int) -> int | None:
        while pos < size and (data := os.pread(fd, min(CHUNK, size - pos), pos)):
            if (i := data.find(b"\n")) >= 0:
                return pos + i
            pos += len(data)
        return None

    def _scan_window(self, fd: int, end: int) -> None:
        pos = self._scanned
        starts = self._starts
        if not len(starts):
            starts.raise_high(pos >> 32)
            starts.extend([pos & 0xFFFFFFFF])
        high = (pos + 1) >> 32
        stop = min(end, pos + INDEX_CHUNKS * CHUNK, ((high + 1) << 32) - 1)
        starts.raise_high(high)
        # pread, not mmap: a file truncated under a mapping would kill us with SIGBUS.
        data = os.pread(fd, stop - pos, pos)
        stop = pos + len(data)
        found = array("I")
        append = found.append
        delta = pos + 1 - (high << 32)
        find = data.find
        i = find(b"\n")
        while i != -1:
            append(i + delta)
            i = find(b"\n", i + 1)
        with self._lock:
            starts.extend(found)
            self._scanned = stop

    # -- reading ---------------------------------------------------------------------
    @property
    def progress(self) -> float:
        """Fraction of the file indexed so far."""
        total = self._size - self.start
        done = 1.0 if total <= 0 else min(1.0, (self._scanned - self.start) / total)
        return done if self._looked else 0.0

    @property
    def done(self) -> bool:
        """Everything in the file when last looked at is indexed."""
        return self._looked and self._scanned >= self._size

    @property
    def nbytes(self) -> int:
        """Memory held by the offsets."""
        return self._starts.nbytes()

    @property
    def stable_lines(self) -> int:
        """Lines that end with a newline (they will not change any more)."""
        return max(0, len(self._starts) - 1)

    @property
    def line_count(self) -> int:
        with self._lock:
            n = len(self._starts)
            if n and (self._scanned < self._size or self._starts[n - 1] >= self._size):
                n -= 1  # the unfinished last line, or nothing after the last newline
            return n

    def span(self, line: int) -> tuple[int, int]:
        """Byte range of a line, without its line ending."""
        with self._lock:
            starts = self._starts
            end = starts[line + 1] - 1 if line + 1 < len(starts) else self._size
            return starts[line], end

    def line_of_offset(self, offset: int) -> int:
        """The line holding byte ``offset`` (the first or last line outside the index)."""
        n = self.line_count
        return 0 if not n else max(0, min(n - 1, bisect_right(self._starts, offset, 0, n) - 1))

    def _pread(self, begin: int, end: int) -> bytes:
        fd = self._open()
        return b"" if fd is None or end <= begin else os.pread(fd, end - begin, begin)

    def _read_long_line(self, begin: int, end: int) -> str:
        tail = self._pread(max(begin, end - LINE_READ_CAP), end).rstrip(b"\r")
        if b"\r" in tail:
            return display_text(tail)
        head = self._pread(begin, begin + MAX_LINE_BYTES)
        return display_text(head) + TRUNCATION_MARK

    def read_lines(self, start: int, count: int) -> list[str]:
        """Lines ``start`` to ``start + count`` (fewer at the end), as displayed."""
        stop = min(start + count, self.line_count)
        if start >= stop or start < 0:
            return []
        begin, end = self.span(start)[0], self.span(stop - 1)[1]
        if end - begin <= LINE_READ_CAP * 4:
            data = self._pread(begin, end)
            return [display_text(raw) for raw in data.split(b"\n")[: stop - start]]
        out = []
        for line in range(start, stop):  # some long lines: each read on its own
            b, e = self.span(line)
            long = e - b > LINE_READ_CAP
            out.append(self._read_long_line(b, e) if long else display_text(self._pread(b, e)))
        return out

    def line_text(self, line: int) -> str:
        lines = self.read_lines(line, 1)
        return lines[0] if lines else ""

    # -- searching -------------------------------------------------------------------
    def _chunks(self, first: int, last: int, backwards: bool) -> Iterator[tuple[int, int]]:
        """Line ranges [a, b) covering ``first..last`` about CHUNK bytes each."""
        starts = self._starts
        if backwards:
            b = last + 1
            while b > first:
                a = max(first, bisect_right(starts, starts[b - 1] - CHUNK, first, b - 1))
                yield a, b
                b = a
        else:
            a = first
            while a <= last:
                b = min(last + 1, max(a + 1, bisect_right(starts, starts[a] + CHUNK, a, last + 1)))
                yield a, b
                a = b

    def _match_chunk(self, pattern: re.Pattern[str], a: int, b: int) -> list[int]:
        """Matching lines among [a, b): the pattern runs over the whole chunk (escape
        codes out, each redraw on its own row) and a line with redraws or control
        characters is checked again as displayed."""
        begin, end = self.span(a)[0], self.span(b - 1)[1]
        if b - a == 1 and end - begin > CHUNK:
            return [a] if pattern.search(self.line_text(a)) else []
        text = self._pread(begin, end).decode("utf-8", "replace")
        if "\x1b" in text:
            text = _ANSI_IN_LINE.sub("", text)
        probe = text.replace("\r", "\n") if "\r" in text else text  # same length
        hits: list[int] = []
        line, counted, pos = a, 0, 0
        while (m := pattern.search(probe, pos)) is not None:
            found = m.start()
            line += text.count("\n", counted, found)
            line_end = text.find("\n", found)
            line_end = len(text) if line_end < 0 else line_end
            raw = text[text.rfind("\n", 0, found) + 1 : line_end]
            if ("\n" not in m[0] and not _SPECIAL.search(raw)) or pattern.search(visible_text(raw)):
                hits.append(line)
            if line_end >= len(text):
                break
            pos = counted = line_end + 1
            line += 1
        return hits

    def matching_lines(
        self, pattern: re.Pattern[str], first: int, last: int, backwards: bool = False
    ) -> Iterator[int]:
        """Lines in ``first..last`` (inclusive) whose displayed text matches, streaming."""
        for a, b in self._chunks(max(0, first), min(last, self.line_count - 1), backwards):
            hits = self._match_chunk(pattern, a, b)
            yield from reversed(hits) if backwards else hits

    def search(
        self, pattern: re.Pattern[str] | str, start: int, backwards: bool = False
    ) -> int | None:
        """The first matching line from ``start`` on (or back from it), or None."""
        if isinstance(pattern, str):
            from tuitrain.output.log_filter import compile_query

            pattern = compile_query(pattern)
        if backwards:
            return next(self.matching_lines(pattern, 0, start, backwards=True), None)
        return next(self.matching_lines(pattern, start, self.line_count - 1), None)
