from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.inference.trained import TrainedHome, train_tiny


@pytest.fixture(scope="session")
def trained_yolo(tmp_path_factory: pytest.TempPathFactory) -> TrainedHome:
    return train_tiny(tmp_path_factory.mktemp("yolo"), "yolo")


@pytest.fixture(scope="session")
def trained_detr(tmp_path_factory: pytest.TempPathFactory) -> TrainedHome:
    return train_tiny(tmp_path_factory.mktemp("detr"), "detr")


@pytest.fixture
def in_yolo_home(trained_yolo: TrainedHome, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TUITRAIN_HOME", str(trained_yolo.home))
    yield trained_yolo.home
