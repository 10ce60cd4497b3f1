"""SVG snapshots of the Datasets screen's forms at 100x30, over the ``pets`` store of
the Datasets screen tests, with values that show a problem and a hint (no temporary
paths on screen: the import form holds a relative path that does not exist)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input

from tests.ui.conftest import settle
from tests.ui.test_datasets_screen import AppFactory, open_datasets, seed_datasets
from tuitrain.ui.screens.dataset_forms import CreateDatasetForm, SplitDatasetForm
from tuitrain.ui.screens.dataset_import_form import ImportForm

SnapCompare = Callable[..., bool]


def open_form(
    app_factory: AppFactory, home: Path, src: Path, key: str, form: type, values: dict[str, str]
) -> tuple[Any, Callable[[Pilot[Any]], Any]]:
    pets_id, _ = seed_datasets(home, src)
    app = app_factory(home)

    async def run_before(pilot: Pilot[Any]) -> None:
        await open_datasets(app, pets_id)(pilot)
        await pilot.press(key)
        await settle(pilot, lambda: isinstance(app.screen, form))
        for field_id, value in values.items():
            app.screen.query_one(f"#{field_id}", Input).value = value
        await pilot.pause()

    return app, run_before


def test_create_form_100x30(
    home: Path, tmp_path: Path, app_factory: AppFactory, snap_compare: SnapCompare
) -> None:
    values = {"name": "pets", "classes": "zebra, lion"}
    app, run_before = open_form(app_factory, home, tmp_path, "c", CreateDatasetForm, values)
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_import_form_100x30(
    home: Path, tmp_path: Path, app_factory: AppFactory, snap_compare: SnapCompare
) -> None:
    values = {"path": "incoming/images", "labels": "incoming/labels"}
    app, run_before = open_form(app_factory, home, tmp_path, "i", ImportForm, values)
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


def test_split_form_100x30(
    home: Path, tmp_path: Path, app_factory: AppFactory, snap_compare: SnapCompare
) -> None:
    values = {"test": "0.1"}
    app, run_before = open_form(app_factory, home, tmp_path, "s", SplitDatasetForm, values)
    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
