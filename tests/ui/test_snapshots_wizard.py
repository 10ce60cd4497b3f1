"""SVG snapshots of each page of the new-training wizard at 100x30 (and the densest,
the parameters, at 80x24). Datasets live at fixed paths so the pages read the same on
every machine."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Select

from tests.ui.wizard_app import snapshot_app

SIZE = (100, 30)
SnapCompare = Callable[..., bool]


async def settled(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def keys(*pressed: str, then: Callable[[Pilot[Any]], Awaitable[None]] | None = None) -> Any:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settled(pilot)
        for key in pressed:
            await pilot.press(key)
            await settled(pilot)
        if then is not None:
            await then(pilot)
            await settled(pilot)

    return run_before


def test_dataset_page(snap_compare: SnapCompare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=SIZE, run_before=keys())


def test_dataset_page_with_problems(snap_compare: SnapCompare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=SIZE, run_before=keys("down", "down"))


def test_config_page_yolo(snap_compare: SnapCompare) -> None:
    assert snap_compare(snapshot_app(), terminal_size=SIZE, run_before=keys("ctrl+n"))


def test_config_page_rave(snap_compare: SnapCompare) -> None:
    async def choose(pilot: Pilot[Any]) -> None:
        screen = pilot.app.screen
        screen.query_one("#p-rave-config Select", Select).value = "v2_small"

    run_before = keys("down", "ctrl+n", "tab", "tab", "space", then=choose)
    assert snap_compare(snapshot_app(), terminal_size=SIZE, run_before=run_before)


def test_parameters_page_with_an_error(snap_compare: SnapCompare) -> None:
    async def bad_epochs(pilot: Pilot[Any]) -> None:
        pilot.app.screen.query_one("#p-yolo-epochs Input", Input).value = "0"

    run_before = keys("ctrl+n", "ctrl+n", then=bad_epochs)
    assert snap_compare(snapshot_app(), terminal_size=SIZE, run_before=run_before)


def test_parameters_page_at_80x24(snap_compare: SnapCompare) -> None:
    run_before = keys("ctrl+n", "ctrl+n")
    assert snap_compare(snapshot_app(), terminal_size=(80, 24), run_before=run_before)


def test_confirmation_page(snap_compare: SnapCompare) -> None:
    run_before = keys("ctrl+n", "ctrl+n", "ctrl+n")
    assert snap_compare(snapshot_app(), terminal_size=SIZE, run_before=run_before)
