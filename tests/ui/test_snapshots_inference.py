"""The inference screen at 100x30: a model of a completed run, and results injected as
the worker would post them (no torch): two answered images and one that failed, the
first one's boxes and its annotated preview drawn inline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw
from textual.pilot import Pilot
from textual.widgets import Input

from tests.ui.conftest import settle
from tests.ui.test_inference import open_inference, seed_model
from tuitrain.inference import Box, ImageResult, PredictableModel, RunnerReady
from tuitrain.inference.annotate import annotate
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.inference import InferenceScreen
from tuitrain.ui.widgets.image_preview import ImagePreview

AppFactory = Callable[[Path], TuitrainApp]
SnapCompare = Callable[..., bool]


def shots(folder: Path) -> list[ImageResult]:
    """Two 96x64 images with a red and a blue shape, answered; a text file, failed."""
    folder.mkdir(parents=True)
    results: list[ImageResult] = []
    specs = [
        ("street.png", [(0, "red", 0.91, 8, 8, 40, 36), (1, "blue", 0.47, 50, 20, 90, 60)]),
        ("yard.png", [(1, "blue", 0.66, 20, 10, 70, 50)]),
    ]
    for name, boxes in specs:
        image = Image.new("RGB", (96, 64), (120, 130, 110))
        draw = ImageDraw.Draw(image)
        for class_id, _label, _score, x0, y0, x1, y1 in boxes:
            fill = (220, 30, 30) if class_id == 0 else (30, 60, 220)
            draw.rectangle((x0 + 2, y0 + 2, x1 - 2, y1 - 2), fill=fill)
        image.save(folder / name)
        result = ImageResult(
            image=str(folder / name),
            ok=True,
            boxes=tuple(Box(c, lab, s, x0, y0, x1, y1) for c, lab, s, x0, y0, x1, y1 in boxes),
            width=96,
            height=64,
            inference_ms=6.2 + len(results),
            wall_ms=1350.4 if not results else 8.3,
        )
        out = annotate(result, folder / "annotated" / name)
        results.append(replace(result, annotated=str(out)))
    results.append(
        ImageResult(
            image=str(folder / "notes.txt"), ok=False, error=f"not an image: {folder / 'notes.txt'}"
        )
    )
    return results


def test_inference_100x30(
    home: Path, tmp_path: Path, app_factory: AppFactory, snap_compare: SnapCompare
) -> None:
    seed_model(home, tmp_path / "w" / "best.pt")
    results = shots(tmp_path / "shots")
    app = app_factory(home)

    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await open_inference(pilot)
        await settle(pilot, lambda: screen.selected_model() is not None)
        model = screen.selected_model()
        assert isinstance(model, PredictableModel)
        screen.query_one("#images", Input).value = "shots/"
        ready = RunnerReady("yolo", {0: "red", 1: "blue"}, "cpu", 1200.0, 2100.0)
        screen.post_message(InferenceScreen.ModelLoaded(model, ready))
        for i, result in enumerate(results, 1):
            screen.post_message(InferenceScreen.ImageAnswered(i, len(results), result))
        preview = screen.query_one("#inference-preview", ImagePreview)
        await settle(pilot, lambda: len(screen.results) == 3 and preview.image is not None)

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
