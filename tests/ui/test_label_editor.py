"""The label editor over a real store: boxes edited with keys, the exact label file
written, undo byte for byte, the preview drawn where the label says, the external
viewer and labeling tool started with the path as one argument."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from textual.message import Message
from textual.widgets import DataTable, Static

from tests.labels.dataset_support import label_file, make_dataset
from tests.labels.viewer_support import recorded_argvs, recording_viewer
from tests.ui.conftest import settle
from tests.ui.label_editor_support import (
    editor,
    keys,
    on_image,
    open_editor,
    preview_file,
    status_line,
    summary_line,
)
from tuitrain.preview import class_colour
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.datasets import DatasetsScreen
from tuitrain.ui.screens.label_editor import LabelEditorScreen
from tuitrain.ui.screens.label_editor_classes import ClassPickerScreen

AppFactory = Callable[[Path], TuitrainApp]


def stats_text_of(screen: DatasetsScreen) -> str:
    return str(screen.query_one("#dataset-stats-text", Static).content)


@pytest.fixture(autouse=True)
def no_viewer(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TUITRAIN_VIEWER", "TUITRAIN_LABELING_TOOL", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)


async def test_edit_with_keys_writes_the_exact_file_and_undo_restores_it(
    home: Path, tmp_path: Path, app_factory: AppFactory
) -> None:
    dataset_id = make_dataset(home, tmp_path / "src")
    unlabeled = label_file(home, dataset_id, "img3")
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_editor(pilot, "img3.png")  # the editor opens on the first unlabeled
        assert not unlabeled.exists()
        assert summary_line(app) == (
            f"#{dataset_id} · 4 images: 1 unlabeled, 3 labeled, 0 reviewed · filter: all"
        )
        await keys(pilot, "a", "right", "right", "right", "shift+down")
        assert unlabeled.read_text() == "0 0.515 0.6 0.25 0.25\n"
        await keys(pilot, "m", "shift+right", "down", "2")  # resize: 10 px wider, 1 taller
        assert unlabeled.read_text() == "2 0.54 0.605 0.3 0.26\n"
        table = editor(app).boxes_table()
        assert table.get_row_at(0) == [
            "2 bike", "108.0", "60.5", "60.0", "26.0", "0.540", "0.605", "0.300", "0.260",
        ]  # fmt: skip
        assert "img3.png 200x100 · labeled · 1 boxes · arrows resize · new: bike · saved" in (
            status_line(app)
        )
        assert editor(app).images_table().get_row(str(editor(app).editor.image_id)) == [
            "img3.png", "labeled", "1",
        ]  # fmt: skip

        await keys(pilot, *["z"] * 9)  # nine changes back: unlabeled again, no file
        assert not unlabeled.exists()
        await keys(pilot, *["y"] * 9)
        assert unlabeled.read_text() == "2 0.54 0.605 0.3 0.26\n"

        # A labeled image: every change undone gives the file back byte for byte.
        await pilot.press("p", "p", "p")
        await settle(pilot, on_image(app, "img0.png"))
        labeled = label_file(home, dataset_id, "img0")
        original = labeled.read_bytes()
        await keys(pilot, "m", "x", "a", "shift+left", "1", "v")  # m: arrows move again
        assert labeled.read_text() == "1 0.25 0.3 0.1 0.2\n1 0.45 0.5 0.25 0.25\n"
        assert "reviewed" in status_line(app)
        await keys(pilot, *["z"] * 5)
        assert labeled.read_bytes() == original

        # The statistics follow: back on the datasets screen, read again.
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, DatasetsScreen))
        datasets = app.screen
        assert isinstance(datasets, DatasetsScreen)
        await settle(pilot, lambda: "unlabeled   0" in stats_text_of(datasets))
        assert "boxes       4" in stats_text_of(datasets)  # 3 imported + the one added


async def test_preview_draws_the_box_where_the_label_says(
    home: Path, tmp_path: Path, app_factory: AppFactory
) -> None:
    dataset_id = make_dataset(home, tmp_path / "src")
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_editor(pilot, "img3.png")
        await keys(pilot, "a", "1", *["shift+left"] * 3)  # person, 30 px left
        await settle(pilot, lambda: editor(app).query_one("#label-preview").image is not None)
        text = label_file(home, dataset_id, "img3").read_text()
        assert text == "1 0.35 0.5 0.25 0.25\n"
        # 0.35*200 = 70 px centre, 50 px wide: x 45..95; y 50 +- 12.5: 37.5..62.5
        image = Image.open(preview_file(home, dataset_id, "img3")).convert("RGB")
        colour = class_colour(1)
        assert image.getpixel((45, 50)) == colour  # left edge
        assert image.getpixel((95, 50)) == colour  # right edge
        assert image.getpixel((70, 62)) == colour  # bottom edge
        assert image.getpixel((70, 50)) == (30, 120, 30)  # inside: the image itself
        assert image.getpixel((150, 50)) == (30, 120, 30)


async def test_viewer_and_labeling_tool_get_the_path_as_one_argument(
    tmp_path: Path, app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Imported file names are made safe, so the odd characters come from the home
    # folder: the preview and the image both live under it.
    home = tmp_path / "my home; touch pwned"
    monkeypatch.setenv("TUITRAIN_HOME", str(home))
    dataset_id = make_dataset(home, tmp_path / "src")
    record = tmp_path / "argv.jsonl"
    script = recording_viewer(tmp_path / "bin", record)
    monkeypatch.setenv("TUITRAIN_VIEWER", str(script))
    monkeypatch.setenv("TUITRAIN_LABELING_TOOL", f"{script} --tool")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_editor(pilot, "img3.png")
        await keys(pilot, "a", "o")
        preview = preview_file(home, dataset_id, "img3")
        assert recorded_argvs(record, 1) == [[str(preview)]]
        await keys(pilot, "l")
        original = home / "datasets" / str(dataset_id) / "images" / "img3.png"
        assert recorded_argvs(record, 2)[1] == ["--tool", str(original)]
    assert list(work.iterdir()) == []  # nothing ran: no pwned file anywhere
    assert not list(tmp_path.rglob("pwned"))
    # What the viewer opened is the boxes drawn on the image.
    assert Image.open(preview).convert("RGB").getpixel((75, 50)) == class_colour(0)


async def test_no_viewer_is_a_one_line_error(
    home: Path, tmp_path: Path, app_factory: AppFactory
) -> None:
    make_dataset(home, tmp_path / "src")
    app = app_factory(home)
    failures: list[str] = []

    def hook(message: Message) -> None:
        if isinstance(message, LabelEditorScreen.Failed):
            failures.append(message.text)

    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        await open_editor(pilot, "img3.png")
        await keys(pilot, "o")
        await settle(pilot, lambda: bool(failures))
        await keys(pilot, "l")
        await settle(pilot, lambda: len(failures) == 2)
        await keys(pilot, "x")  # nothing to delete: a notice, no change
    assert failures[0].startswith("no image viewer: no display here; set TUITRAIN_VIEWER")
    assert failures[1].startswith("no labeling tool configured")
    assert all("\n" not in f for f in failures)


async def test_filter_next_unlabeled_and_class_picker(
    home: Path, tmp_path: Path, app_factory: AppFactory
) -> None:
    dataset_id = make_dataset(home, tmp_path / "src")
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_editor(pilot, "img3.png")
        screen = editor(app)
        images: DataTable[str] = screen.images_table()
        await keys(pilot, "f")  # unlabeled only
        assert images.row_count == 1 and "filter: unlabeled" in summary_line(app)
        await keys(pilot, "f")  # labeled: img3 is not, the first labeled opens
        await settle(pilot, on_image(app, "img0.png"))
        assert images.row_count == 3
        await keys(pilot, "u")  # the unlabeled one is hidden: the filter goes back to all
        await settle(pilot, on_image(app, "img3.png"))
        assert images.row_count == 4 and "filter: all" in summary_line(app)

        await pilot.press("p", "p")
        await settle(pilot, on_image(app, "img1.png"))
        await pilot.press("c")
        await settle(pilot, lambda: isinstance(app.screen, ClassPickerScreen))
        await pilot.press("up", "enter")  # from bike (2) to person (1)
        await settle(pilot, lambda: isinstance(app.screen, LabelEditorScreen))
        await keys(pilot)
        assert label_file(home, dataset_id, "img1").read_text() == "1 0.7 0.6 0.3 0.5\n"
        await keys(pilot, "u", "a")  # the new box takes the class picked last
        assert label_file(home, dataset_id, "img3").read_text() == "1 0.5 0.5 0.25 0.25\n"
        await keys(pilot, "u")  # none left
        assert editor(app).editor is not None
