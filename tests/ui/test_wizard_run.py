"""The wizard over the real store and engine: datasets from the datasets service
(one without labels is refused), then the config it builds started by the real app
and followed to COMPLETED, with its command replaced by a recorded YOLO output."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Input, Static

from tests.conftest import FIXTURES, REPLAY
from tests.datasets.helpers import write_image
from tests.ui.conftest import loaded, settle
from tuitrain.datasets.service import DatasetService
from tuitrain.runs.states import RunStatus
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.wizard import NewTrainingScreen

SHARED_FIXTURES = Path("/work/shared/fixtures/outputs")
YOLO_OUTPUT = "yolo_cli_output_pipe.raw"


def recorded(name: str) -> Path:
    local = FIXTURES / name
    return local if local.exists() else SHARED_FIXTURES / name


def seed_datasets(home: Path, src: Path) -> tuple[int, int]:
    """``ducks``: labeled and split (ready to train); ``raw``: images, no labels."""
    (src / "labels").mkdir(parents=True)
    for i in range(6):
        write_image(src / "images" / f"d{i}.png", i, size=(16, 16))
        (src / "labels" / f"d{i}.txt").write_text("0 0.5 0.5 0.25 0.25\n")
    for i in range(3):
        write_image(src / "raw" / f"r{i}.png", 100 + i, size=(16, 16))
    service = DatasetService(home)
    try:
        ducks = service.create_dataset("ducks", "detection", ["duck"])
        service.import_files(ducks.id, [src / "images"], "yolo", src / "labels")
        service.split(ducks.id, val=0.5)
        raw = service.create_dataset("raw", "detection", ["duck"])
        service.import_files(raw.id, [src / "raw"])
        return ducks.id, raw.id
    finally:
        service.close()


async def next_page(pilot: Pilot[Any], screen: NewTrainingScreen) -> None:
    before = screen.page
    await pilot.press("ctrl+n")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    assert screen.page == before + 1, [n.message for n in pilot.app._notifications]


async def test_wizard_to_a_completed_run(
    home: Path, tmp_path: Path, app_factory: Callable[[Path], TuitrainApp]
) -> None:
    ducks_id, _raw_id = seed_datasets(home, tmp_path / "src")
    app = app_factory(home)
    started: list[dict[str, Any]] = []
    replay = [sys.executable, str(REPLAY), str(recorded(YOLO_OUTPUT)), "--pace", "1"]

    def start(config: dict[str, Any] | None) -> None:
        assert config is not None
        started.append(config)
        app.start_run({**config, "command": replay})  # the app's own start, for real

    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app))
        screen = NewTrainingScreen()
        await app.push_screen(screen, callback=start)
        await app.workers.wait_for_complete()
        await pilot.pause()
        page = screen.datasets
        assert [c.name for c in page.choices] == ["ducks", "raw"]
        await pilot.press("down")  # raw: no labels
        await app.workers.wait_for_complete()
        await pilot.pause()
        status = str(screen.query_one("#dataset-status", Static).render())
        assert "✗ no image is labeled" in status
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert screen.page == 0
        await pilot.press("up")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert page.check is not None and page.check.ok, page.check
        await next_page(pilot, screen)
        await next_page(pilot, screen)
        for param, value in (("epochs", "2"), ("imgsz", "64"), ("batch", "4"), ("device", "cpu")):
            editor = screen.query_one(f"#p-yolo-{param} Input", Input)
            editor.value = value
        await pilot.pause()
        await next_page(pilot, screen)
        await pilot.press("enter")  # on the run name: start
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert len(started) == 1
        config = started[0]
        data_yaml = home / "datasets" / str(ducks_id) / "data.yaml"
        assert config["dataset_id"] == ducks_id
        assert config["params"]["data"] == str(data_yaml)
        assert f"data={data_yaml}" in config["command"]
        assert config["parser"] == "ultralytics" and config["env"]["YOLO_OFFLINE"] == "1"
        [exp] = [e for e in app.manager.list_experiments() if e.name == "yolo11n-ducks"]
        assert exp.id is not None and exp.dataset_id == ducks_id
        done = await app.manager.wait(exp.id)
    assert done.status == RunStatus.COMPLETED, done.error_summary
    names = {m.name for m in app.manager.store.metrics(exp.id)}
    assert {"train/box_loss", "train/cls_loss", "metrics/mAP50(B)"} <= names
    assert all(m.epoch in (1, 2) for m in app.manager.store.metrics(exp.id, "train/box_loss"))
