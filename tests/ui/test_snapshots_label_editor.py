"""SVG snapshots of the label editor at 100x30 and 80x24: an image with two boxes,
the half-block preview with the boxes drawn, and the class picker."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.labels.dataset_support import make_dataset
from tests.ui.conftest import settle
from tests.ui.label_editor_support import keys, on_image, open_editor
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.label_editor_classes import ClassPickerScreen

AppFactory = Callable[[Path], TuitrainApp]
SnapCompare = Callable[..., bool]


def on_first_image(*pressed: str) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, TuitrainApp)
        await open_editor(pilot, "img3.png")
        await pilot.press("p", "p", "p")
        await settle(pilot, on_image(app, "img0.png"))
        await keys(pilot, *pressed)

    return run_before


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
def test_label_editor(
    home: Path,
    tmp_path: Path,
    app_factory: AppFactory,
    snap_compare: SnapCompare,
    size: tuple[int, int],
) -> None:
    make_dataset(home, tmp_path / "src")
    app = app_factory(home)
    assert snap_compare(app, terminal_size=size, run_before=on_first_image("]"))


def test_class_picker(
    home: Path, tmp_path: Path, app_factory: AppFactory, snap_compare: SnapCompare
) -> None:
    make_dataset(home, tmp_path / "src")
    app = app_factory(home)

    async def picker(pilot: Pilot[Any]) -> None:
        await on_first_image()(pilot)
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, ClassPickerScreen))

    assert snap_compare(app, terminal_size=(100, 30), run_before=picker)
