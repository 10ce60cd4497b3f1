"""Create, import and split from the Datasets screen, over a real store and real files:
PNGs made with Pillow, YOLO label files, a JPEG cut in half."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.widgets import Input, Label, Select, Static

from tests.datasets.helpers import truncated_jpeg, write_image
from tests.ui.conftest import settle
from tests.ui.test_datasets_screen import AppFactory, open_datasets, seed_datasets, stats_text
from tuitrain.datasets.service import DatasetService
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.dataset_forms import CreateDatasetForm, SplitDatasetForm
from tuitrain.ui.screens.dataset_import_form import ImportForm, ImportRequest
from tuitrain.ui.screens.dataset_import_run import ImportCancelled, ImportRunScreen, run_import
from tuitrain.ui.screens.datasets import DatasetsScreen


def make_source(folder: Path, n: int = 8, classes: int = 1) -> Path:
    """``n`` PNGs with YOLO labels (one box each, class ids taking turns), a duplicate
    of the first and a corrupt JPEG."""
    for i in range(n):
        write_image(folder / "images" / f"shot{i}.png", 500 + i)
        (folder / "labels").mkdir(parents=True, exist_ok=True)
        (folder / "labels" / f"shot{i}.txt").write_text(f"{i % classes} 0.5 0.5 0.3 0.3\n")
    write_image(folder / "images" / "again.png", 500)
    truncated_jpeg(folder / "images" / "broken.jpg")
    return folder


def error_of(app: TuitrainApp, field_id: str) -> str:
    return str(app.screen.query_one(f"#{field_id}-error", Label).content)


def selected(app: TuitrainApp, name: str) -> bool:
    screen = app.screen
    if not isinstance(screen, DatasetsScreen) or screen.detail_id is None:
        return False
    ds = screen.datasets.get(screen.detail_id)
    return ds is not None and ds.name == name and screen._cursor_id() == ds.id


async def test_create_checks_as_typed_then_selects_the_new_dataset(
    home: Path, tmp_path: Path, app_factory: AppFactory
) -> None:
    pets_id, _ = seed_datasets(home, tmp_path / "src")
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_datasets(app, pets_id)(pilot)
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, CreateDatasetForm))
        assert "needs a name" in error_of(app, "name")
        assert "at least one class" in error_of(app, "classes")

        await pilot.press(*"pets")
        assert "already exists" in error_of(app, "name")
        await pilot.press("enter")  # refused: the form stays, nothing typed is lost
        assert isinstance(app.screen, CreateDatasetForm)
        assert app.screen.query_one("#name", Input).value == "pets"

        await pilot.press("backspace", "backspace", "backspace", "backspace", *"zoo")
        assert error_of(app, "name") == ""
        app.screen.query_one("#classes", Input).value = "zebra, lion, zebra"
        await pilot.pause()
        assert "'zebra' is given twice" in error_of(app, "classes")
        app.screen.query_one("#classes", Input).value = "zebra, lion"
        await pilot.pause()
        assert error_of(app, "classes") == "2 classes, ids 0 to 1"

        await pilot.press("enter")
        await settle(pilot, lambda: selected(app, "zoo"))
        assert "#3 zoo · detection" in stats_text(app)

    service = DatasetService(home)
    try:
        zoo = next(ds for ds in service.list_datasets() if ds.name == "zoo")
        assert zoo.classes == ["zebra", "lion"] and zoo.task == "detection"
    finally:
        service.close()


async def test_import_a_folder_with_yolo_labels_reports_each_file(
    home: Path, tmp_path: Path, app_factory: AppFactory
) -> None:
    _, empty_id = seed_datasets(home, tmp_path / "src")
    source = make_source(tmp_path / "incoming")
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_datasets(app, 1)(pilot)
        await pilot.press("down")
        await settle(pilot, lambda: selected(app, "empty-set"))
        await pilot.press("i")
        await settle(pilot, lambda: isinstance(app.screen, ImportForm))
        form = app.screen
        form.query_one("#path", Input).value = str(tmp_path / "nowhere")
        await pilot.pause()
        assert error_of(app, "path").startswith("✘ no such file or folder")
        form.query_one("#path", Input).value = str(source / "images")
        form.query_one("#labels", Input).value = str(source / "labels")
        await pilot.pause()
        assert error_of(app, "labels") == "✘ choose a labels format, or empty this field"
        form.query_one("#labels-format", Select).value = "yolo"
        await pilot.pause()
        assert error_of(app, "path") == "" and error_of(app, "labels") == ""
        form.query_one("#path", Input).focus()
        await pilot.press("enter")

        def done() -> bool:
            return isinstance(app.screen, ImportRunScreen) and app.screen.report is not None

        await settle(pilot, done)
        report = app.screen.query_one("#import-report-text", Static).content
        text = str(report)
        assert text.startswith("8 imported, 1 duplicate(s) skipped, 1 refused")
        assert "refused   broken.jpg: " in text
        assert "duplicate shot0.png: duplicate of again.png" in text
        assert "imported  shot1.png -> images/shot1.png (1 box)" in text
        assert str(tmp_path) not in text

        await pilot.press("enter")
        await settle(pilot, lambda: "images      8" in stats_text(app))
        # again.png (no label file) came first and was taken; shot0.png is its copy.
        assert "labeled     7 (0 reviewed, 0 background)" in stats_text(app)
        assert selected(app, "empty-set")

    service = DatasetService(home)
    try:
        stats = service.stats(empty_id)
        assert (stats.images, stats.labeled, stats.unlabeled, stats.boxes) == (8, 7, 1, 7)
        assert stats.boxes_per_class == {"thing": 7}
    finally:
        service.close()


async def test_split_from_the_form(home: Path, tmp_path: Path, app_factory: AppFactory) -> None:
    pets_id, _ = seed_datasets(home, tmp_path / "src")
    service = DatasetService(home)
    try:
        more = make_source(tmp_path / "more", n=12, classes=2)
        service.import_files(pets_id, [more / "images"], "yolo", more / "labels")
    finally:
        service.close()
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_datasets(app, pets_id)(pilot)
        await pilot.press("s")
        await settle(pilot, lambda: isinstance(app.screen, SplitDatasetForm))
        assert error_of(app, "val") == "about 11 train, 3 val"  # 14 labeled, 0.2
        app.screen.query_one("#val", Input).value = "1.5"
        await pilot.pause()
        assert error_of(app, "val") == "✘ val must be between 0 and 1 (exclusive), got 1.5"
        app.screen.query_one("#val", Input).value = "20%"
        app.screen.query_one("#test", Input).value = "0.2"
        app.screen.query_one("#seed", Input).value = "x"
        await pilot.pause()
        assert error_of(app, "seed") == "✘ the seed is a whole number"
        await pilot.press("ctrl+s")
        assert isinstance(app.screen, SplitDatasetForm)
        app.screen.query_one("#seed", Input).value = "7"
        await pilot.pause()
        await pilot.press("ctrl+s")
        split_line = "splits      none 2, test 3, train 8, val 3"  # none: the unlabeled
        await settle(pilot, lambda: split_line in stats_text(app))
        messages = [n.message for n in app._notifications]
        assert "pets split (seed 7): train 8, val 3, test 3" in messages

    service = DatasetService(home)
    try:
        assert service.stats(pets_id).splits == {"none": 2, "test": 3, "train": 8, "val": 3}
    finally:
        service.close()


async def test_split_of_a_dataset_with_no_labels_is_a_notification(
    home: Path, tmp_path: Path, app_factory: AppFactory
) -> None:
    _, empty_id = seed_datasets(home, tmp_path / "src")
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_datasets(app, 1)(pilot)
        await pilot.press("down")
        await settle(pilot, lambda: selected(app, "empty-set"))
        await pilot.press("s", "enter")
        await settle(pilot, lambda: isinstance(app.screen, DatasetsScreen))
        messages = [n.message for n in app._notifications]
        assert any(f"dataset {empty_id} has no labeled images to split" in m for m in messages)


def test_a_cancelled_import_stores_nothing(home: Path, tmp_path: Path) -> None:
    _, empty_id = seed_datasets(home, tmp_path / "src")
    source = make_source(tmp_path / "incoming")
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done == 3:
            cancel.set()  # esc pressed while file 3 was checked

    request = ImportRequest(str(source / "images"), "yolo", str(source / "labels"))
    with pytest.raises(ImportCancelled):
        run_import(home, empty_id, request, progress, cancel)
    assert seen == [1, 2, 3]
    service = DatasetService(home)
    try:
        assert service.stats(empty_id).images == 0
        assert not list((service.store.layout(empty_id).root / "images").iterdir())
    finally:
        service.close()
