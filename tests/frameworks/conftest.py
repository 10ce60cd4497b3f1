from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def env_python(tmp_path: Path) -> str:
    """An interpreter path of a training environment without console scripts."""
    return str(tmp_path / "env" / "bin" / "python")


@pytest.fixture
def data_yaml(tmp_path: Path) -> Path:
    path = tmp_path / "ds" / "data.yaml"
    path.parent.mkdir(parents=True)
    path.write_text("path: .\ntrain: train/images\nval: val/images\nnames: [a, b]\n")
    return path


@pytest.fixture
def coco_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "coco"
    (folder / "train").mkdir(parents=True)
    (folder / "train" / "_annotations.coco.json").write_text("{}")
    return folder


@pytest.fixture
def rave_db(tmp_path: Path) -> Path:
    folder = tmp_path / "db"
    folder.mkdir()
    (folder / "data.mdb").write_bytes(b"")
    return folder


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Recipes read TUITRAIN_HOME/config.toml: never the user's own here."""
    monkeypatch.setenv("TUITRAIN_HOME", str(tmp_path / "home"))
