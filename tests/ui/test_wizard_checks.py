"""The new-training wizard's checks with Pilot: every reason shown where it applies,
and Next refused while a page is wrong."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from textual.widgets import Input, Select, Static

from tests.ui.wizard_app import (
    FixedCatalog,
    catalog,
    drain,
    field,
    host,
    note,
    notes,
    to_page,
    type_into,
    wizard,
)
from tuitrain.ui.screens.wizard_datasets import DatasetChoice


async def test_a_dataset_with_problems_shows_them_and_blocks_next() -> None:
    app = host(catalog())
    async with app.run_test(size=(80, 24)) as pilot:
        await drain(pilot)
        screen = wizard(app)
        assert screen.datasets.dataset is not None and screen.datasets.dataset.name == "ducks"
        await pilot.press("down", "down")  # "empty"
        await drain(pilot)
        status = str(screen.query_one("#dataset-status", Static).render())
        assert "✗ the dataset has no images" in status
        assert "✗ the dataset has no classes" in status
        await pilot.press("ctrl+n")
        await drain(pilot)
        assert screen.page == 0
        assert notes(app)[-1] == "the dataset has no images"
        await pilot.press("up", "enter")  # enter on "drums" goes on
        await drain(pilot)
        assert screen.page == 1
        # An audio dataset: RAVE is proposed, with its configuration.
        assert screen.query_one("#framework", Select).value == "rave"


async def test_a_path_when_the_store_has_no_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a relative path is typed: short to type
    app = host(FixedCatalog([]))
    async with app.run_test(size=(80, 24)) as pilot:
        await drain(pilot)
        screen = wizard(app)
        path_input = screen.query_one("#dataset-path", Input)
        assert path_input.has_focus
        await pilot.press("ctrl+n")
        await drain(pilot)
        assert screen.page == 0 and notes(app)[-1] == "choose a dataset or type a path"
        missing = tmp_path / "nope.yaml"
        await pilot.press(*"nope.yaml")
        await drain(pilot)
        status = str(screen.query_one("#dataset-status", Static).render())
        assert status == f"✗ no such file or folder: {missing}"
        await pilot.press("enter")
        await drain(pilot)
        assert screen.page == 0
        folder = tmp_path / "images"
        folder.mkdir()
        path_input.value = str(folder)
        await drain(pilot)
        await pilot.press("enter")
        await drain(pilot)
        # A folder that is no COCO dataset: DETR is proposed and refuses it.
        assert screen.page == 1
        assert screen.query_one("#framework", Select).value == "detr"
        framework_note = str(screen.query_one("#framework-note", Static).render())
        assert framework_note == (
            f"{folder} is not a COCO folder (no train/_annotations.coco.json or annotations.json)"
        )
        await pilot.press("ctrl+n")
        await drain(pilot)
        assert screen.page == 1 and screen.query_one("#framework", Select).has_focus


async def test_the_framework_must_fit_the_dataset() -> None:
    app = host(catalog())
    async with app.run_test(size=(80, 24)) as pilot:
        await drain(pilot)
        await to_page(pilot, 1)
        screen = wizard(app)
        screen.query_one("#framework", Select).value = "rave"
        await drain(pilot)
        framework_note = str(screen.query_one("#framework-note", Static).render())
        assert framework_note == "RAVE trains on audio data; 'ducks' is detection"
        await pilot.press("ctrl+n")
        await drain(pilot)
        assert screen.page == 1
        screen.query_one("#framework", Select).value = "detr"
        await drain(pilot)
        await to_page(pilot, 2)


YOLO_ERRORS = [
    ("epochs", "0", "epochs must be a positive integer"),
    ("epochs", "-1", "epochs must be a positive integer"),
    ("epochs", "abc", "epochs must be a positive integer"),
    ("epochs", "", "epochs must be a positive integer"),
    ("batch", "0", "batch must be a positive integer (or -1 for AutoBatch)"),
    ("lr0", "x", "lr0 must be a positive number"),
    ("lr0", "0", "lr0 must be a positive number"),
    ("lr0", "-1", "lr0 must be a positive number"),
    ("imgsz", "100", "imgsz must be a multiple of 32 (such as 640)"),
    ("patience", "-1", "patience must be 0 or a positive integer"),
    ("device", "gpu", "device must be auto, cpu or GPU ids such as 0 or 0,1"),
    ("workers", "many", "workers must be 0 or a positive integer"),
]
DETR_ERRORS = [
    ("epochs", "0", "epochs must be a positive integer"),
    ("batch_size", "0", "batch_size must be a positive integer"),
    ("lr", "x", "lr must be a positive number"),
    ("lr", "-1", "lr must be a positive number"),
    ("lr_backbone", "-1", "lr_backbone must be 0 or a positive number"),
    ("weight_decay", "abc", "weight_decay must be 0 or a positive number"),
]
RAVE_ERRORS = [
    ("max_steps", "0", "max_steps must be a positive integer"),
    ("batch", "-1", "batch must be a positive integer"),
    ("channels", "0", "channels must be a positive integer"),
    ("n_signal", "-1", "n_signal must be a positive integer"),
    ("val_every", "x", "val_every must be a positive integer"),
    ("overrides", "lr", "overrides: 'lr' is not a gin binding such as NAME=value"),
]


@pytest.mark.parametrize(
    ("framework", "errors"),
    [("yolo", YOLO_ERRORS), ("detr", DETR_ERRORS), ("rave", RAVE_ERRORS)],
)
async def test_each_bad_parameter_is_shown_beside_its_field_and_blocks_next(
    framework: str, errors: list[tuple[str, str, str]]
) -> None:
    app = host(catalog())
    async with app.run_test(size=(80, 24)) as pilot:
        await drain(pilot)
        if framework == "rave":
            await pilot.press("down")  # drums, an audio dataset
            await drain(pilot)
        await to_page(pilot, 1)
        wizard(app).query_one("#framework", Select).value = framework
        await drain(pilot)
        await to_page(pilot, 2)
        for param, text, reason in errors:
            f = field(app, framework, param)
            good = f.spec.display(f.spec.default)
            await type_into(pilot, f, text)
            assert (note(f), f.has_class("-invalid")) == (reason, True), param
            await pilot.press("ctrl+n")
            await drain(pilot)
            assert wizard(app).page == 2
            assert notes(app)[-1] == reason
            assert f.editor.has_focus
            await type_into(pilot, f, good)
            assert not f.has_class("-invalid") and note(f) == f.spec.help
        await to_page(pilot, 3)


async def test_a_dataset_answer_for_an_older_choice_is_dropped() -> None:
    app = host(catalog())
    async with app.run_test(size=(80, 24)) as pilot:
        await drain(pilot)
        page = wizard(app).datasets
        other = DatasetChoice(3, "empty", "detection", "/x")
        page.post_message(page.Checked(other, catalog().check(other)))
        await drain(pilot)
        assert page.check is not None and page.check.ok


class _SlowCatalog(FixedCatalog):
    """Lists its datasets only once ``release`` is set, as a big store on a slow disk."""

    def __init__(self, choices: list[DatasetChoice]) -> None:
        super().__init__(choices)
        self.release = threading.Event()

    def list_datasets(self) -> list[DatasetChoice]:
        self.release.wait(30)
        return super().list_datasets()


@pytest.mark.parametrize("stored", [False, True], ids=["empty store", "datasets stored"])
async def test_what_is_typed_while_the_datasets_load_is_kept(stored: bool) -> None:
    slow = _SlowCatalog(catalog().choices if stored else [])
    app = host(slow)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = wizard(app)
        await pilot.press(*"a.yaml")  # at once: before the first refresh
        slow.release.set()
        await drain(pilot)
        path_input = screen.query_one("#dataset-path", Input)
        assert path_input.value == "a.yaml" and path_input.has_focus


def test_run_names_of_typed_paths_use_the_dataset_folder(tmp_path: Path) -> None:
    from tuitrain.ui.screens.wizard_datasets import DatasetChoice, path_choice
    from tuitrain.ui.screens.wizard_pages import default_run_name

    shapes = tmp_path / "shapes"
    (shapes / "train").mkdir(parents=True)
    (shapes / "data.yaml").write_text("names: [a]\n")
    (shapes / "train" / "_annotations.coco.json").write_text("{}")
    (tmp_path / "drums.v1").mkdir()
    yolo = {"model": "yolo11n.pt"}
    assert (
        default_run_name("yolo", yolo, path_choice(str(shapes / "data.yaml"))) == "yolo11n-shapes"
    )
    assert default_run_name("detr", {}, path_choice(f"{shapes}/")) == "detr-shapes"
    coco = path_choice(str(shapes / "train" / "_annotations.coco.json"))
    assert default_run_name("detr", {}, coco) == "detr-shapes"
    audio = path_choice(str(tmp_path / "drums.v1"))  # a folder with a dot stays itself
    assert default_run_name("rave", {"config": "v2"}, audio) == "rave-v2-drums.v1"
    stored = DatasetChoice(3, "ducks", "detection", "/data/ducks/data.yaml")
    assert default_run_name("yolo", yolo, stored) == "yolo11n-ducks"
