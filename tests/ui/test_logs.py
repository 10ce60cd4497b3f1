"""The log viewer: follow, search, filter, wrap, top/bottom, a big log at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.conftest import FIXTURES
from tests.ui.conftest import SeededHome, loaded, settle
from tuitrain.executors.base import OUTPUT_LOG
from tuitrain.output import log_index
from tuitrain.output.log_filter import compile_query
from tuitrain.output.log_index import LogIndex
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.logs import LogScreen
from tuitrain.ui.widgets import log_view
from tuitrain.ui.widgets.log_view import LogView

AppFactory = Callable[[Path], TuitrainApp]
YOLO = "yolo11n-coco8"


def log_of(seeded: SeededHome, name: str) -> Path:
    return seeded.home / "runs" / str(seeded.ids[name]) / OUTPUT_LOG


async def open_logs(pilot: Pilot[Any], rid: int) -> LogScreen:
    app = pilot.app
    assert isinstance(app, TuitrainApp)
    await settle(pilot, loaded(app))
    screen = LogScreen(rid)
    app.push_screen(screen)
    await settle(pilot, lambda: bool(screen.query(LogView)) and screen.view.index.done)
    return screen


def shown(view: LogView) -> list[str]:
    """The rows on screen, as text."""
    return [view.render_line(y).text.rstrip() for y in range(view.scrollable_content_region.height)]


async def grow(pilot: Pilot[Any], view: LogView, path: Path, text: str) -> None:
    with path.open("a") as fh:
        fh.write(text)
    view.poll()  # what the timer does a few times a second
    await settle(pilot)


async def test_opens_at_the_end_and_follows_until_scrolled_up(
    seeded_home: SeededHome, app_factory: AppFactory
) -> None:
    path = log_of(seeded_home, YOLO)
    expected = LogIndex(path)
    expected.refresh()
    app = app_factory(seeded_home.home)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_logs(pilot, seeded_home.ids[YOLO])
        view = screen.view
        assert view.index.line_count == expected.line_count > 40
        assert view.follow and view.scroll_offset.y == view.max_scroll_y > 0
        assert shown(view)[-1] == expected.line_text(expected.line_count - 1)
        assert "following" in screen.status_text()
        await grow(pilot, view, path, "new line 1\nnew line 2\n")
        assert shown(view)[-2:] == ["new line 1", "new line 2"]
        await pilot.press("up")
        assert not view.follow and "paused" in screen.status_text()
        where = view.scroll_offset.y
        await grow(pilot, view, path, "new line 3\n")
        assert view.scroll_offset.y == where and view.index.line_count == expected.line_count + 3
        await pilot.press("G")
        await settle(pilot)
        assert view.follow and shown(view)[-1] == "new line 3"
        await pilot.press("g")
        assert not view.follow and view.scroll_offset.y == 0
        await pilot.press("f")
        await settle(pilot)
        assert view.follow and view.scroll_offset.y == view.max_scroll_y


async def test_search_next_previous_with_wraparound(
    seeded_home: SeededHome, app_factory: AppFactory
) -> None:
    path = log_of(seeded_home, YOLO)
    index = LogIndex(path)
    index.refresh()
    hits = list(index.matching_lines(compile_query("Epoch"), 0, index.line_count - 1))
    assert len(hits) >= 2
    app = app_factory(seeded_home.home)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_logs(pilot, seeded_home.ids[YOLO])
        view = screen.view
        await pilot.press("g", "slash", *"Epoch", "enter")
        await settle(pilot)
        assert view.current_match == hits[0] and not view.follow
        row = hits[0] - view.scroll_offset.y
        assert "Epoch" in shown(view)[row]
        await pilot.press("n")
        await settle(pilot)
        assert view.current_match == hits[1]
        await pilot.press("N")
        await settle(pilot)
        assert view.current_match == hits[0]
        await pilot.press("N")  # before the first: wraps to the last
        await settle(pilot)
        assert view.current_match == hits[-1]
        assert "Search wrapped around" in [n.message for n in app._notifications]
        where = view.scroll_offset
        await pilot.press("slash", "ctrl+u", *"no such text", "enter")
        await settle(pilot)
        assert view.current_match is None and view.scroll_offset == where
        assert "'no such text' not found" in [n.message for n in app._notifications]


async def test_filter_and_a_bad_regex(seeded_home: SeededHome, app_factory: AppFactory) -> None:
    path = log_of(seeded_home, YOLO)
    index = LogIndex(path)
    index.refresh()
    wanted = list(index.matching_lines(compile_query(r"^\s+all\s", regex=True), 0, 10_000))
    assert wanted
    app = app_factory(seeded_home.home)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_logs(pilot, seeded_home.ids[YOLO])
        view = screen.view
        await pilot.press("ampersand", *r"re:^\s+all\s", "enter")
        await settle(pilot)
        assert view.line_filter is not None and list(view.line_filter.lines) == wanted
        assert view.row_count == len(wanted)
        assert all(row.lstrip().startswith("all") for row in shown(view)[: len(wanted)])
        assert f"filter 're:^\\s+all\\s': {len(wanted)}" in screen.status_text()
        await grow(pilot, view, path, "                   all          8         17   0.5\nother\n")
        assert view.row_count == len(wanted) + 1
        await pilot.press("F", *"re:(", "enter")
        assert "Not a regular expression" in list(app._notifications)[-1].message
        await pilot.press("escape")  # closes the input, keeps the screen
        assert app.screen is screen and screen.asking is None
        await pilot.press("ampersand", "ctrl+u", "enter")  # empty: all lines again
        await settle(pilot)
        assert view.line_filter is None and view.row_count == index.line_count + 2


async def test_wrap_shows_long_lines_whole(
    seeded_home: SeededHome, app_factory: AppFactory
) -> None:
    app = app_factory(seeded_home.home)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_logs(pilot, seeded_home.ids[YOLO])
        view = screen.view
        await pilot.press("g")
        first = view.index.line_text(1)  # Ultralytics' long "engine/trainer: ..." line
        assert len(first) > 300
        assert shown(view)[1] == first[: len(shown(view)[1])]
        await pilot.press("w")
        await settle(pilot)
        assert view.wrap and "wrap" in screen.status_text()
        rows = shown(view)
        width = view.scrollable_content_region.width
        assert rows[1] == first[:width] and rows[2] == first[width : 2 * width]
        assert view.virtual_size.width == width  # nothing to scroll sideways


async def test_a_big_log_shows_its_end_before_it_is_indexed(
    seeded_home: SeededHome, app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = log_of(seeded_home, YOLO)
    row = "\r\x1b[K  %6d/300   3.1G   1.234   2.345   1.111   45   640: 100%% 250/250 4.0it/s\n"
    with path.open("w") as fh:
        for block in range(120):
            fh.write("".join(row % (block * 1000 + i) for i in range(1000)))
    assert path.stat().st_size > 8 * log_view.PREVIEW_BYTES
    monkeypatch.setattr(log_view, "BUILD_STEP", 1 << 20)
    gate = threading.Event()
    real_refresh = LogIndex.refresh

    def held_refresh(self: LogIndex, max_bytes: int | None = None) -> bool:
        if self.start == 0:  # the full index waits; the preview of the end does not
            gate.wait(10)
        return real_refresh(self, max_bytes)

    monkeypatch.setattr(LogIndex, "refresh", held_refresh)
    app = app_factory(seeded_home.home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app))
        screen = LogScreen(seeded_home.ids[YOLO])
        app.push_screen(screen)
        await pilot.pause()
        view = screen.view
        assert view.source is not view.index and not view.index.done
        assert shown(view)[-1].startswith("  119999/300")
        assert "indexing 0% (0 lines so far)" in screen.status_text()
        gate.set()
        await settle(pilot, lambda: view.source is view.index)
        assert view.index.line_count == 120_000 and view.row_count == 120_000
        assert view.follow and shown(view)[-1].startswith("  119999/300")


def test_snapshot_log_screen(
    seeded_home: SeededHome, app_factory: AppFactory, snap_compare: Any
) -> None:
    async def open_it(pilot: Pilot[Any]) -> None:
        screen = await open_logs(pilot, seeded_home.ids[YOLO])
        await pilot.press("slash", *"Epoch", "enter")
        await settle(pilot)
        screen.view.scroll_to(y=max(0, screen.view.current_match or 0) - 3, animate=False)
        await settle(pilot)

    assert snap_compare(app_factory(seeded_home.home), terminal_size=(100, 30), run_before=open_it)


def test_the_log_index_fixture_is_the_recorded_output() -> None:
    assert (FIXTURES / "yolo_cli_output_pipe.raw").exists()
    assert log_index.CHUNK * log_index.INDEX_CHUNKS >= 1 << 20
