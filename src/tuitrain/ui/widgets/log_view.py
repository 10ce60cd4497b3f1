"""A log file view that renders only the rows on screen, as toolong does.

Lines come from a :class:`~tuitrain.output.log_index.LogIndex`, read when shown. One
thread worker at a time indexes and follows the file (started by a timer a few times
a second, never per line) and builds the filter; search runs in its own worker. A big
file shows its last megabyte at once while the whole index is built.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from rich.cells import cell_len
from textual import work
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from tuitrain.output.log_filter import LineFilter, find_next
from tuitrain.output.log_index import LogIndex
from tuitrain.ui.widgets.log_rows import highlighted, wrapped

PREVIEW_BYTES = 1 << 20  # shown at once from the end of a big file
BUILD_STEP = 32 << 20  # bytes indexed between progress reports
FILTER_STEP = 200_000  # lines filtered between progress reports
REPORT_EVERY = 0.25  # seconds between progress messages of a long build


class LogView(ScrollView, can_focus=True):
    """Rows of a log file; follows it while ``follow`` is on."""

    DEFAULT_CSS = """
    LogView { background: $surface; scrollbar-gutter: stable; }
    LogView > .log-view--match { background: $warning 50%; }
    LogView > .log-view--current { background: $accent; text-style: bold; }
    """
    COMPONENT_CLASSES = {"log-view--match", "log-view--current"}

    follow: reactive[bool] = reactive(True)
    wrap: reactive[bool] = reactive(False, init=False)

    class Changed(Message):
        """The file, the index, the filter or the position changed (collapses)."""

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, LogView.Changed)

    class SearchDone(Message):
        """Where a search landed (None: nowhere), and whether it went round the end."""

        def __init__(self, line: int | None, wrapped: bool) -> None:
            super().__init__()
            self.line, self.wrapped = line, wrapped

    def __init__(self, path: str | Path, *, poll_interval: float = 0.25, id: str | None = None):
        super().__init__(id=id)
        self.path = Path(path)
        self.poll_interval = poll_interval
        self.index = LogIndex(self.path)
        self._preview: LogIndex | None = None
        self.line_filter: LineFilter | None = None
        self.pattern: re.Pattern[str] | None = None
        self.current_match: int | None = None
        self.searching = False
        self._busy = self._unmounted = False
        self._cache: LRUCache[tuple[int, int], str] = LRUCache(2000)
        self._wrapped: tuple[tuple[int, ...], list[Strip]] | None = None
        self._seen, self._seen_lines = (0, 0), 0  # (source, generation), its line count

    # -- state -----------------------------------------------------------------------
    @property
    def source(self) -> LogIndex:
        """The full index once built (or filtered), the preview of the end until then."""
        if self._preview is not None and self.line_filter is None:
            return self._preview
        return self.index

    @property
    def row_count(self) -> int:
        flt = self.line_filter
        return len(flt) if flt is not None else self.source.line_count

    def line_of_row(self, row: int) -> int:
        return self.line_filter.line_at(row) if self.line_filter is not None else row

    def row_of_line(self, line: int) -> int:
        return self.line_filter.row_of(line) if self.line_filter is not None else line

    @property
    def top_line(self) -> int:
        """The file line at the top of the view (or of the preview)."""
        return self.line_of_row(min(self.scroll_offset.y, max(0, self.row_count - 1)))

    # -- lifecycle -------------------------------------------------------------------
    def on_mount(self) -> None:
        size = self.path.stat().st_size if self.path.is_file() else 0
        if size > 8 * PREVIEW_BYTES:
            self._preview = LogIndex(self.path, start=size - PREVIEW_BYTES)
            self._preview.refresh()
        self._sync()
        self.call_after_refresh(self.poll)  # paint the end first, then index
        self.set_interval(self.poll_interval, self.poll)

    def on_unmount(self) -> None:
        self._unmounted = True
        if not self._busy:  # else the worker closes them when it is done
            self._close_files()

    def _close_files(self) -> None:
        for index in (self.index, self._preview):
            if index is not None:
                index.close()

    def poll(self) -> None:
        """Look at the file again (unless a look is still under way)."""
        if not self._busy:
            self._busy = True
            self._follow_file()

    @work(thread=True, group="log-follow", exit_on_error=False)
    def _follow_file(self) -> None:
        """Index what was appended, filter it; report at most every REPORT_EVERY."""
        worker = get_current_worker()
        try:
            index, reported, changed = self.index, time.monotonic(), False
            while not worker.is_cancelled:
                changed |= index.refresh(max_bytes=BUILD_STEP)
                preview = self._preview
                if preview is not None:
                    changed |= preview.refresh() or index.done
                flt = self.line_filter
                if flt is not None:
                    changed |= flt.update(max_lines=FILTER_STEP)
                finished = index.done and (flt is None or flt.done)
                if changed and (finished or time.monotonic() - reported > REPORT_EVERY):
                    self.post_message(self.Changed())
                    reported, changed = time.monotonic(), False
                if finished:
                    break
        finally:
            self._busy = False
            if self._unmounted:
                self._close_files()

    def on_log_view_changed(self) -> None:
        source = self.source
        if self._preview is not None and self.index.done:
            top = min(self.scroll_offset.y, self._preview.line_count - 1)
            offset = self._preview.span(top)[0] if top >= 0 else 0
            self._preview.close()
            self._preview = None
            self._cache.clear()
            self._sync()
            if not self.follow:
                self.scroll_to(y=self.row_of_line(self.index.line_of_offset(offset)), animate=False)
            return
        if self._seen != (id(source), source.generation):
            self._cache.clear()
        for line in range(max(0, self._seen_lines - 1), source.line_count):
            self._cache.discard((id(source), line))  # the last line may have grown
        self._seen, self._seen_lines = (id(source), source.generation), source.line_count
        self._sync()

    def _sync(self) -> None:
        """Size the scrolling area to the rows; keep the end in sight when following."""
        self.virtual_size = Size(self._content_width(), self.row_count)
        self._wrapped = None
        self._pin_end()
        self.call_after_refresh(self._pin_end)  # a scrollbar may come and take a row
        self.refresh()

    def _pin_end(self) -> None:
        if self.follow and self.scroll_y != self.max_scroll_y:
            self.scroll_to(y=self.max_scroll_y, animate=False, force=True)

    def on_resize(self) -> None:
        self._sync()

    def watch_wrap(self) -> None:
        self._sync()

    # -- follow, wrap, filter, search ------------------------------------------------
    def watch_follow(self, follow: bool) -> None:
        if follow:  # later: this may run inside a scroll animation's step
            self.call_later(self._pin_end)
        self.post_message(self.Changed())

    def _content_width(self) -> int:
        """How far one may scroll sideways: the widest line on screen (toolong-like
        views that remember every line seen scroll into emptiness further down)."""
        if self.wrap:
            return self.scrollable_content_region.width
        top, height = self.scroll_offset.y, self.scrollable_content_region.height
        rows = range(top, min(top + height, self.row_count))
        return max((cell_len(self._text(row)) for row in rows), default=0)

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        if round(old) != round(new) and (width := self._content_width()) != self.virtual_size.width:
            self.virtual_size = Size(width, self.row_count)
        if new < old and old <= self.max_scroll_y:
            self.follow = False  # the user scrolled up: keep the place
        elif new > old and new >= self.max_scroll_y and self.max_scroll_y > 0:
            self.follow = True  # back at the end

    def set_filter(self, pattern: re.Pattern[str] | None) -> None:
        """Show only lines matching ``pattern`` (None: all lines)."""
        top = self.top_line
        self.line_filter = None if pattern is None else LineFilter(self.index, pattern)
        self._cache.clear()
        self._sync()
        if not self.follow:
            self.scroll_to(y=self.row_of_line(top), animate=False)
        self.poll()

    def search(self, pattern: re.Pattern[str], backwards: bool = False) -> None:
        """Go to the next (previous) line matching ``pattern``, wrapping around."""
        self.pattern, self.searching = pattern, True
        here = self.current_match if self.current_match is not None else self.top_line - 1
        self._search(pattern, here + (-1 if backwards else 1), backwards)
        self.refresh()

    @work(thread=True, exclusive=True, group="log-search", exit_on_error=False)
    def _search(self, pattern: re.Pattern[str], start: int, backwards: bool) -> None:
        worker = get_current_worker()
        try:
            found = find_next(self.source, pattern, start, backwards, self.line_filter, worker)
        except OSError:  # the file went away under the search
            return
        if found is not None:
            self.post_message(self.SearchDone(*found))

    def on_log_view_search_done(self, event: LogView.SearchDone) -> None:
        self.searching = False
        if event.line is not None:
            self.current_match = event.line
            self.follow = False
            half = self.scrollable_content_region.height // 2
            self.scroll_to(y=max(0, self.row_of_line(event.line) - half), animate=False)
        self._wrapped = None
        self.refresh()

    def clear_search(self) -> None:
        self.pattern, self.current_match, self._wrapped = None, None, None
        self.refresh()

    # -- rendering -------------------------------------------------------------------
    def _text(self, row: int) -> str:
        source = self.source
        line = self.line_of_row(row)
        key = (id(source), line)
        text = self._cache.get(key)
        if text is None:
            height = max(1, self.scrollable_content_region.height)
            if self.line_filter is None:
                block = source.read_lines(line, height)
            else:
                rows = range(row, min(row + height, self.row_count))
                block = [source.line_text(self.line_of_row(r)) for r in rows]
            for offset, fetched in enumerate(block):
                self._cache.set((id(source), self.line_of_row(row + offset)), fetched)
            text = block[0] if block else ""
        return text

    def _strip(self, row: int) -> Strip:
        current = self.current_match == self.line_of_row(row)
        mark = self.get_component_rich_style("log-view--current" if current else "log-view--match")
        return highlighted(self._text(row), self.pattern, self.rich_style, mark)

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        if self.wrap:
            rows = self._wrapped_rows(width)
            return rows[y] if y < len(rows) else Strip.blank(width, self.rich_style)
        row = self.scroll_offset.y + y
        if row >= self.row_count:
            return Strip.blank(width, self.rich_style)
        x = self.scroll_offset.x
        return self._strip(row).crop_extend(x, x + width, self.rich_style)

    def _wrapped_rows(self, width: int) -> list[Strip]:
        """Visible lines cut at the width; anchored at the end when at the bottom."""
        height, top = self.scrollable_content_region.height, self.scroll_offset.y
        count = self.row_count
        at_end = top >= self.max_scroll_y
        key = (width, height, top, count, at_end, self.current_match or -1)
        if self._wrapped is not None and self._wrapped[0] == key:
            return self._wrapped[1]
        order = range(count - 1, -1, -1) if at_end else range(top, count)
        strips = (self._strip(row) for row in order)
        rows = wrapped(strips, width, height, at_end, self.rich_style)
        self._wrapped = (key, rows)
        return rows
