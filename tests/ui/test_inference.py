"""The inference screen, opened with i from the experiments table: a real tiny YOLO
model (trained once for these tests) run on real images in its environment, the
thresholds checked as typed, an environment that cannot start, the annotated image
opened by a real (recording) viewer."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static

from tests.inference.trained import TrainedHome, train_tiny
from tests.ui.conftest import settle
from tuitrain.store.db import Database
from tuitrain.store.experiments import ExperimentStore
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.experiments import ExperimentsScreen
from tuitrain.ui.screens.inference import InferenceScreen
from tuitrain.ui.widgets.image_preview import ImagePreview

AppFactory = Callable[[Path], TuitrainApp]


@pytest.fixture(scope="module")
def trained_yolo(tmp_path_factory: pytest.TempPathFactory) -> TrainedHome:
    return train_tiny(tmp_path_factory.mktemp("yolo"), "yolo")


def text_of(app: TuitrainApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).content)


async def open_inference(pilot: Pilot[Any]) -> InferenceScreen:
    app = pilot.app
    assert isinstance(app, TuitrainApp)
    await settle(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
    await pilot.press("i")
    await settle(pilot, lambda: isinstance(app.screen, InferenceScreen))
    screen = app.screen
    assert isinstance(screen, InferenceScreen)
    return screen


async def type_into(pilot: Pilot[Any], selector: str, text: str) -> None:
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = ""
    await pilot.press(*text)


def seed_model(home: Path, weights: Path, *, status: str = "COMPLETED") -> int:
    """A run of ``status`` that registered ``weights`` as best.pt."""
    weights.parent.mkdir(parents=True, exist_ok=True)
    if not weights.exists():
        weights.write_bytes(b"weights")
    db = Database(home / "tuitrain.db")
    try:
        store = ExperimentStore(db)
        exp = store.create(name="ducks", framework="yolo", status=status)
        assert exp.id is not None
        [model] = store.add_models(
            exp.id, "yolo", [("best.pt", str(weights), {"metrics/mAP50(B)": 0.25})]
        )
        assert model.id is not None
        return model.id
    finally:
        db.dispose()


async def test_run_a_real_model_on_a_folder(
    trained_yolo: TrainedHome,
    app_factory: AppFactory,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("TUITRAIN_HOME", str(trained_yolo.home))
    viewer_log = tmp_path / "viewer.json"
    viewer = tmp_path / "viewer.py"
    viewer.write_text(
        f"import json, sys\nopen({str(viewer_log)!r}, 'w').write(json.dumps(sys.argv[1:]))\n"
    )
    monkeypatch.setenv("TUITRAIN_VIEWER", f"{sys.executable} {viewer}")
    folder = tmp_path / "my shots"
    folder.mkdir()
    for image in trained_yolo.images[:3]:
        (folder / image.name).write_bytes(image.read_bytes())
    app = app_factory(trained_yolo.home)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_inference(pilot)
        await settle(pilot, lambda: screen.selected_model() is not None)
        models = screen.query_one("#inference-models", DataTable)
        assert [models.get_row_at(i)[2] for i in range(2)] == ["yolo best.pt", "yolo last.pt"]
        model = screen.selected_model()
        assert model is not None and model.id == trained_yolo.model.id
        await type_into(pilot, "#conf", "0.0001")
        await type_into(pilot, "#images", f"'{folder}'")
        await pilot.press("enter")
        results = screen.query_one("#inference-results", DataTable)
        await settle(pilot, lambda: results.row_count == 3 and not screen.running, limit_s=120)
        status = text_of(app, "#inference-status")
        assert status.startswith(f"model {model.id} loaded on cpu in ")
        assert status.endswith("classes: red, blue")
        assert text_of(app, "#inference-problem") == "3/3 images"
        names = [results.get_row_at(i)[0] for i in range(3)]
        assert names == [p.name for p in trained_yolo.images[:3]]
        first = screen.results[0]
        assert first.ok and first.boxes and first.annotated
        boxes = screen.query_one("#inference-boxes", DataTable)
        assert boxes.row_count == len(first.boxes)
        assert boxes.get_row_at(0)[1] == f"{first.boxes[0].confidence:.3f}"
        preview = screen.query_one("#inference-preview", ImagePreview)
        await settle(pilot, lambda: preview.image is not None)
        assert preview.path == Path(first.annotated)
        with Image.open(first.annotated) as drawn:
            assert drawn.size == (64, 64)

        # The cursor moves down the results: boxes and preview follow.
        results.focus()
        await pilot.press("down")
        await settle(pilot, lambda: preview.path == Path(screen.results[1].annotated or ""))
        assert boxes.row_count == len(screen.results[1].boxes)

        # ctrl+o: the annotated image, opened by the viewer with its path as one argument.
        await pilot.press("ctrl+o")
        await settle(pilot, viewer_log.exists)
        assert json.loads(viewer_log.read_text()) == [screen.results[1].annotated]

        # A second run keeps the model loaded: no new start-up.
        # (How much faster that is is measured by tests/inference/test_predict_yolo.py
        # and benchmarks/bench_predict.py, not timed here: the UI adds its own noise.)
        predictor = screen.predictor
        assert predictor is not None and predictor.running
        process, ready = predictor._proc, predictor.ready
        await pilot.press("ctrl+r")
        await settle(pilot, lambda: len(screen.results) == 3 and not screen.running, limit_s=60)
        assert screen.predictor is predictor and predictor.running
        assert predictor._proc is process and predictor.ready is ready  # the same runner

        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, ExperimentsScreen))


async def test_thresholds_are_checked_as_typed(
    home: Path, app_factory: AppFactory, tmp_path: Path
) -> None:
    seed_model(home, tmp_path / "w" / "best.pt")
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_inference(pilot)
        await settle(pilot, lambda: screen.selected_model() is not None)
        assert screen.query_one("#inference-models", DataTable).get_row_at(0) == [
            "1",
            "#1 ducks",
            "yolo best.pt",
            "0.250",
        ]
        await type_into(pilot, "#conf", "abc")
        assert text_of(app, "#inference-problem") == "conf: a number between 0 and 1"
        assert screen.query_one("#conf", Input).has_class("-invalid")
        await type_into(pilot, "#conf", "0.5")
        assert text_of(app, "#inference-problem") == ""
        await type_into(pilot, "#iou", "1.5")
        assert text_of(app, "#inference-problem") == "IoU must be between 0 and 1"
        await type_into(pilot, "#images", str(tmp_path))
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert not screen.running and screen.predictor is None  # nothing started
        await type_into(pilot, "#iou", "0.7")
        await type_into(pilot, "#images", "")
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert text_of(app, "#inference-problem") == "give image files or folders"
        assert screen.predictor is None


async def test_an_environment_that_cannot_start(
    home: Path, app_factory: AppFactory, tmp_path: Path
) -> None:
    (home / "config.toml").parent.mkdir(parents=True, exist_ok=True)
    missing = tmp_path / "gone" / "python"
    (home / "config.toml").write_text(f'[hosts.local.environments]\nyolo = "{missing}"\n')
    seed_model(home, tmp_path / "w" / "best.pt")
    image = tmp_path / "a.png"
    Image.new("RGB", (8, 8)).save(image)
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_inference(pilot)
        await settle(pilot, lambda: screen.selected_model() is not None)
        await type_into(pilot, "#images", str(image))
        await pilot.press("ctrl+r")
        await settle(pilot, lambda: not screen.running)
        assert text_of(app, "#inference-status") == (
            f"Inference stopped: cannot start the yolo environment ({missing}): "
            "No such file or directory"
        )


async def test_only_completed_runs_are_offered(
    home: Path, app_factory: AppFactory, tmp_path: Path
) -> None:
    seed_model(home, tmp_path / "w" / "best.pt", status="FAILED")
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_inference(pilot)
        await settle(pilot, lambda: "model" in text_of(app, "#inference-status"))
        assert screen.query_one("#inference-models", DataTable).row_count == 0
        assert text_of(app, "#inference-status").startswith("No trained models yet")
