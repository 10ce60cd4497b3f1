"""SVG snapshots of the experiments screen (100x30, and the table at 80x24)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tests.ui.conftest import SeededHome, loaded, settle
from tuitrain.ui.app import TuitrainApp

AppFactory = Callable[[Path], TuitrainApp]
SnapCompare = Callable[..., bool]


def ready(app: TuitrainApp, *keys: str) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot, loaded(app))
        await pilot.press(*keys)
        await settle(pilot)

    return run_before


def test_experiments_100x30(
    live_run: SeededHome, app_factory: AppFactory, snap_compare: SnapCompare
) -> None:
    app = app_factory(live_run.home)
    assert snap_compare(app, terminal_size=(100, 30), run_before=ready(app))


def test_experiments_80x24(
    live_run: SeededHome, app_factory: AppFactory, snap_compare: SnapCompare
) -> None:
    """Narrow: host, started, framework... give way; name, status, progress stay;
    the footer wraps onto two rows so no key is lost."""
    app = app_factory(live_run.home)
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready(app))


def test_experiments_filtered_and_marked_80x24(
    live_run: SeededHome, app_factory: AppFactory, snap_compare: SnapCompare
) -> None:
    app = app_factory(live_run.home)
    keys = ("slash", "r", "a", "v", "e", "enter", "space", "f", "f", "f")
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready(app, *keys))


def test_stop_confirmation_80x24(
    live_run: SeededHome, app_factory: AppFactory, snap_compare: SnapCompare
) -> None:
    app = app_factory(live_run.home)
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready(app, "s"))


def test_help_100x30(
    seeded_home: SeededHome, app_factory: AppFactory, snap_compare: SnapCompare
) -> None:
    app = app_factory(seeded_home.home)
    assert snap_compare(app, terminal_size=(100, 30), run_before=ready(app, "question_mark"))


def test_help_80x24(
    seeded_home: SeededHome, app_factory: AppFactory, snap_compare: SnapCompare
) -> None:
    app = app_factory(seeded_home.home)
    assert snap_compare(app, terminal_size=(80, 24), run_before=ready(app, "question_mark"))
