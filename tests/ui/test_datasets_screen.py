"""The Datasets screen over a real store: datasets made by the datasets service from
real PNGs and YOLO labels, opened from the experiments screen with D."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PIL import Image
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from tests.ui.conftest import settle
from tuitrain.datasets.service import DatasetService
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.datasets import DatasetsScreen
from tuitrain.ui.screens.experiments import ExperimentsScreen

AppFactory = Callable[[Path], TuitrainApp]
SnapCompare = Callable[..., bool]

# pets: img0 two cats, img1 a cat and a dog, img2 background (empty file), img3 no
# label file (unlabeled); "bird" has no boxes.
LABELS = {
    "img0": "0 0.5 0.5 0.25 0.25\n0 0.25 0.25 0.1 0.1\n",
    "img1": "0 0.5 0.5 0.2 0.2\n1 0.3 0.6 0.2 0.3\n",
    "img2": "",
}


def write_png(path: Path, seed: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 12), (seed * 40 % 256, 90, 200 - seed * 30)).save(path, "PNG")


def seed_datasets(home: Path, src: Path) -> tuple[int, int]:
    """``pets`` (4 images, 3 labeled) and ``empty-set`` (no images)."""
    (src / "labels").mkdir(parents=True)
    for i in range(4):
        write_png(src / "images" / f"img{i}.png", i)
    for stem, text in LABELS.items():
        (src / "labels" / f"{stem}.txt").write_text(text)
    service = DatasetService(home)
    try:
        pets = service.create_dataset("pets", "detection", ["cat", "dog", "bird"])
        report = service.import_files(pets.id, [src / "images"], "yolo", src / "labels")
        assert report.count("imported") == 4
        empty = service.create_dataset("empty-set", "detection", ["thing"])
        return pets.id, empty.id
    finally:
        service.close()


def stats_text(app: TuitrainApp) -> str:
    return str(app.screen.query_one("#dataset-stats-text", Static).content)


def shown(app: TuitrainApp, dataset_id: int) -> Callable[[], bool]:
    def check() -> bool:
        screen = app.screen
        return isinstance(screen, DatasetsScreen) and screen.detail_id == dataset_id

    return check


def open_datasets(app: TuitrainApp, dataset_id: int) -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
        await pilot.press("D")
        await settle(pilot, shown(app, dataset_id))

    return run_before


async def test_datasets_table_and_stats(
    home: Path, tmp_path: Path, app_factory: AppFactory
) -> None:
    pets_id, empty_id = seed_datasets(home, tmp_path / "src")
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_datasets(app, pets_id)(pilot)
        screen = app.screen
        assert isinstance(screen, DatasetsScreen)
        table = screen.query_one(DataTable)
        assert table.row_count == 2
        assert table.get_row(str(pets_id)) == [
            str(pets_id),
            "pets",
            "detection",
            "4",
            "3",
            "cat, dog, bird",
        ]
        assert table.get_row(str(empty_id))[1:4] == ["empty-set", "detection", "0"]

        text = stats_text(app)
        assert "#1 pets · detection" in text
        assert "images      4" in text
        assert "labeled     3 (0 reviewed, 1 background)" in text
        assert "unlabeled   1" in text
        assert "boxes       4" in text
        lines = text.splitlines()
        cat = next(line for line in lines if line.strip().startswith("cat "))
        dog = next(line for line in lines if line.strip().startswith("dog "))
        bird = next(line for line in lines if line.strip().startswith("bird "))
        assert cat.split()[1] == "3" and cat.count("█") == 30
        assert dog.split()[1] == "1" and dog.count("█") == 10
        assert bird.split()[1] == "0" and "█" not in bird
        assert "class 'bird' has no boxes" in text
        assert "1 image(s) unlabeled" in text
        assert "not split" in text  # a validation error: training needs a split
        assert "1 unlabeled image(s) will not be used" in text

        # The cursor moves: the panel follows.
        await pilot.press("down")
        await settle(pilot, shown(app, empty_id))
        text = stats_text(app)
        assert "empty-set" in text and "the dataset has no images" in text

        # r reads the store again: a dataset made meanwhile appears.
        service = DatasetService(home)
        try:
            service.create_dataset("zebras", "detection", ["zebra"])
        finally:
            service.close()
        await pilot.press("r")
        await settle(pilot, lambda: table.row_count == 3)
        assert table.get_row_index(str(empty_id)) == 1  # the cursor kept its dataset
        assert screen.shown_id == empty_id

        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, ExperimentsScreen))


async def test_no_datasets(home: Path, app_factory: AppFactory) -> None:
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
        await pilot.press("D")
        await settle(pilot, lambda: isinstance(app.screen, DatasetsScreen) and app.screen.loaded)
        summary = str(app.screen.query_one("#datasets-summary", Static).content)
        assert summary.startswith("No datasets yet")


def test_datasets_100x30(
    home: Path, tmp_path: Path, app_factory: AppFactory, snap_compare: SnapCompare
) -> None:
    pets_id, _ = seed_datasets(home, tmp_path / "src")
    app = app_factory(home)
    assert snap_compare(app, terminal_size=(100, 30), run_before=open_datasets(app, pets_id))
