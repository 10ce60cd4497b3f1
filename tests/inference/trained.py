"""A tiny YOLO model trained for real (2 epochs, 64 px, the generated dataset of the
frameworks tests, about 15 s on CPU) in a home of its own, registered by the run as
``best.pt`` and ``last.pt``: what the inference tests try on images."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.frameworks.real_support import (
    TINY_YOLO_PARAMS,
    assert_completed,
    tiny_coco_dataset,
    tiny_yolo_dataset,
    train,
    training_python,
    write_environments,
)
from tuitrain.engine import make_manager
from tuitrain.store.models import TrainedModel

YOLO_PARAMS = TINY_YOLO_PARAMS
DETR_PARAMS = {"epochs": 2, "batch_size": 4, "image_size": 64, "workers": 0, "device": "cpu"}


@dataclass(frozen=True)
class TrainedHome:
    """A TUITRAIN_HOME whose run registered ``model``; ``images``: validation images."""

    home: Path
    python: str
    model: TrainedModel
    images: list[Path]


def _train(
    home: Path, framework: str, params: dict[str, object], env: dict[str, str]
) -> TrainedModel:
    async def run() -> TrainedModel:
        manager = make_manager(home, poll_interval=0.05, flush_interval=0.02)
        await manager.open()
        try:
            exp, _seconds = await train(manager, framework, params, env=env)
            assert_completed(exp)
            assert exp.id is not None
            weights = [m for m in manager.store.models(exp.id) if m.path.endswith(".pt")]
            return weights[0]
        finally:
            await manager.close()
            manager.store.db.dispose()

    return asyncio.run(run())


def train_tiny(root: Path, framework: str) -> TrainedHome:
    python = training_python("TUITRAIN_YOLO_PYTHON")
    home = root / "home"
    write_environments(home, yolo=python, detr=python)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TUITRAIN_HOME", str(home))
        if framework == "yolo":
            data = tiny_yolo_dataset(root / "ducks")
            model = _train(home, "yolo", {"data": str(data), **YOLO_PARAMS}, {})
            images = sorted((data.parent / "images" / "val").iterdir())
        else:
            data = tiny_coco_dataset(root / "shapes")
            hf = {"HF_HOME": str(root / "hf")}  # empty: a tiny DETR from scratch
            model = _train(home, "detr", {"data": str(data), **DETR_PARAMS}, hf)
            images = sorted((data / "valid").glob("*.jpg"))
    return TrainedHome(home, python, model, images)
