"""The real ``roboflow`` client against a local stand-in for Roboflow's API."""

from __future__ import annotations

import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import cli
from tests.datasets.roboflow_standin import StandIn, coco_zip, serve, yolov8_zip
from tuitrain.datasets.errors import DatasetError
from tuitrain.datasets.service import DatasetService

KEY = "rfTestKey0a1b2c3d4e5f"  # lowercase letters: the client treats all-caps keys as dummies


@pytest.fixture
def standin(home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[StandIn]:
    state = StandIn(
        key=KEY,
        workspace="acme",
        archives={
            ("pets", 3, "yolov8"): yolov8_zip(),
            ("pets", 3, "coco"): coco_zip(),
            ("evil", 1, "yolov8"): yolov8_zip({"../escape.txt": b"gotcha"}),
        },
    )
    with serve(state):
        monkeypatch.setenv("API_URL", state.url)  # the client's own setting
        monkeypatch.setenv("ROBOFLOW_CONFIG_DIR", str(tmp_path / "no-roboflow-config.json"))
        monkeypatch.delenv("ROBOFLOW_API_KEY", raising=False)
        yield state


def assert_key_only_in_credentials(home: Path, state: StandIn) -> None:
    dump = "\n".join(sqlite3.connect(home / "tuitrain.db").iterdump())
    assert KEY not in dump
    holders = [p for p in home.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    assert holders == [home / "credentials.json"]
    assert stat.S_IMODE((home / "credentials.json").stat().st_mode) == 0o600
    assert state.leaks == []


@pytest.mark.parametrize("fmt", ["yolov8", "coco"])
def test_download_becomes_a_dataset(
    service: DatasetService, home: Path, standin: StandIn, fmt: str
) -> None:
    service.save_roboflow_key(KEY)  # typed once
    progress: list[tuple[int, int]] = []
    result = service.download_roboflow(
        "acme", "pets", 3, fmt, on_download=lambda d, t: progress.append((d, t))
    )
    ds = result.dataset
    assert (ds.name, ds.source, ds.classes) == ("pets-v3", "roboflow", ["cat", "dog"])
    assert result.report.ok and result.report.count("imported") == 4
    assert progress and progress[-1][0] == progress[-1][1] == len(
        standin.archives[("pets", 3, fmt)]
    )
    items = {i.filename.split("_")[0]: i for i in service.store.items(ds.id)}
    assert {k: i.split for k, i in items.items()} == {
        "a": "train",
        "b": "train",
        "c": "val",
        "d": "test",
    }
    boxes = service.store.boxes(ds.id)
    assert {k: [b.class_id for b in boxes[i.id or 0]] for k, i in items.items()} == {
        "a": [1],
        "b": [0],
        "c": [1],
        "d": [0],
    }
    box = boxes[items["a"].id or 0][0]
    assert (box.x_center, box.y_center, box.width, box.height) == (0.5, 0.5, 0.25, 0.5)
    layout = service.store.layout(ds.id)
    assert len(list((layout.split_dir("train") / "images").iterdir())) == 2
    assert (layout.split_dir("val") / "_annotations.coco.json").is_file()
    assert service.validate(ds.id, framework="detr").ok
    assert [p.name for p in layout.root.parent.iterdir()] == [str(ds.id)]  # no staging left
    assert "POST /" in standin.requests and f"GET /acme/pets/3/{fmt}" in standin.requests
    assert_key_only_in_credentials(home, standin)


def test_an_archive_with_a_parent_member_is_refused(
    service: DatasetService, home: Path, standin: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROBOFLOW_API_KEY", KEY)
    with pytest.raises(DatasetError, match=r"'\.\./escape\.txt' escapes the target folder"):
        service.download_roboflow("acme", "evil", 1, "yolov8")
    assert service.list_datasets() == []
    assert [p for p in home.rglob("escape.txt")] == []
    assert list((home / "datasets").iterdir()) == []
    assert "GET /download/acme/evil/1/yolov8.zip" in standin.requests


def test_errors_name_the_problem_without_the_key(
    service: DatasetService, standin: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(DatasetError, match="no Roboflow API key"):
        service.download_roboflow("acme", "pets", 3, "coco")
    monkeypatch.setenv("ROBOFLOW_API_KEY", KEY)
    with pytest.raises(DatasetError, match="project nope not found") as missing:
        service.download_roboflow("acme", "nope", 1, "coco")
    with pytest.raises(DatasetError, match="Version number 9 is not found"):
        service.download_roboflow("acme", "pets", 9, "coco")
    with pytest.raises(DatasetError, match="unknown format 'voc'"):
        service.download_roboflow("acme", "pets", 3, "voc")
    monkeypatch.setenv("API_URL", "http://127.0.0.1:9")  # nothing listens there
    with pytest.raises(DatasetError, match="Roboflow download failed") as unreachable:
        service.download_roboflow("acme", "pets", 3, "coco")
    assert KEY not in str(missing.value) and KEY not in str(unreachable.value)
    assert service.list_datasets() == []


def test_cli_download_key_typed_once(home: Path, standin: StandIn) -> None:
    env = {**os.environ, "TUITRAIN_HOME": str(home)}
    args = ["dataset", "roboflow", "--workspace", "acme", "--project", "pets", "--version", "3"]
    first = subprocess.run(
        [sys.executable, "-m", "tuitrain", *args, "--format", "coco", "--key-stdin"],
        input=KEY + "\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "1"
    second = cli(home, *args, "--format", "yolov8", "--name", "pets-yolo")
    assert second.returncode == 0, second.stderr
    assert second.stdout.strip() == "2"
    for proc in (first, second):
        assert KEY not in proc.stdout + proc.stderr
    listed = cli(home, "dataset", "ls", "--json", check=True).stdout
    assert '"pets-yolo"' in listed and KEY not in listed
    assert_key_only_in_credentials(home, standin)
    again = cli(home, *args, "--format", "yolov8", "--name", "pets-yolo")
    assert again.returncode == 2
    assert "already exists" in again.stderr
