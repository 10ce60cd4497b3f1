"""Splits: reproducible for a seed, stratified by class, folders Ultralytics and DETR read."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from tests.datasets.helpers import write_image
from tuitrain.datasets.errors import DatasetError
from tuitrain.datasets.labels_yolo import read_data_yaml_names
from tuitrain.datasets.service import DatasetService


def labelled_folder(root: Path, n: int, weights: tuple[float, ...] = (0.6, 0.3, 0.1)) -> Path:
    """n images; each has 1-3 boxes drawn from 3 imbalanced classes."""
    rng = random.Random(11)
    (root / "labels").mkdir(parents=True)
    (root / "labels" / "classes.txt").write_text("car\nbike\nbus\n")
    for i in range(n):
        write_image(root / "images" / f"img{i:04d}.png", i, size=(8, 8))
        classes = rng.choices(range(3), weights=weights, k=rng.randint(1, 3))
        text = "".join(f"{c} 0.5 0.5 0.2 0.2\n" for c in classes)
        (root / "labels" / f"img{i:04d}.txt").write_text(text)
    return root


def assignment(service: DatasetService, dataset_id: int) -> dict[str, str | None]:
    return {i.filename: i.split for i in service.store.items(dataset_id)}


def test_thousand_images_reproducible_and_stratified(
    service: DatasetService, tmp_path: Path
) -> None:
    src = labelled_folder(tmp_path / "src", 1000)
    ds = service.create_dataset("traffic", "detection", ["car", "bike", "bus"])
    assert (
        service.import_files(ds.id, [src / "images"], "yolo", src / "labels").count("imported")
        == 1000
    )

    report = service.split(ds.id, val=0.2, test=0.1, seed=0)
    assert report.counts == {"train": 700, "val": 200, "test": 100}
    first = assignment(service, ds.id)
    service.split(ds.id, val=0.2, test=0.1, seed=1)
    other_seed = assignment(service, ds.id)
    service.split(ds.id, val=0.2, test=0.1, seed=0)
    assert assignment(service, ds.id) == first
    assert other_seed != first

    images_with = {
        name: sum(report.class_counts[s][name] for s in report.class_counts)
        for name in ("car", "bike", "bus")
    }
    assert images_with["bus"] < images_with["bike"] < images_with["car"]
    for name, total in images_with.items():
        for split, share in (("train", 0.7), ("val", 0.2), ("test", 0.1)):
            fraction = report.class_counts[split][name] / total
            assert abs(fraction - share) <= 0.02, (name, split, fraction)

    layout = service.store.layout(ds.id)
    for split, n in report.counts.items():
        folder = layout.split_dir(split)
        links = sorted((folder / "images").iterdir())
        assert len(links) == n
        assert all(p.is_symlink() and p.resolve().parent == layout.images for p in links)
        assert len(list((folder / "labels").glob("*.txt"))) == n
        coco = json.loads((folder / "_annotations.coco.json").read_text())
        assert len(coco["images"]) == n
        assert {im["file_name"] for im in coco["images"]} == {p.name for p in links}
    data_yaml = layout.data_yaml.read_text()
    assert 'train: "train/images"' in data_yaml and 'test: "test/images"' in data_yaml
    assert read_data_yaml_names(layout.data_yaml) == {0: "car", 1: "bike", 2: "bus"}
    assert service.validate(ds.id, framework="yolo").ok


def test_copies_where_links_are_not_possible(
    service: DatasetService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = labelled_folder(tmp_path / "src", 10)
    ds = service.create_dataset("nolinks", "detection", ["car", "bike", "bus"])
    service.import_files(ds.id, [src / "images"], "yolo", src / "labels")

    def no_symlinks(*args: object, **kwargs: object) -> None:
        raise OSError(1, "Operation not permitted")

    monkeypatch.setattr(os, "symlink", no_symlinks)
    report = service.split(ds.id, val=0.3)
    assert report.copied_instead_of_linked == 10
    train = service.store.layout(ds.id).split_dir("train") / "images"
    assert all(p.is_file() and not p.is_symlink() for p in train.iterdir())
    assert not service.store.layout(ds.id).split_dir("test").exists()


def test_unlabeled_images_stay_out(service: DatasetService, tmp_path: Path) -> None:
    src = labelled_folder(tmp_path / "src", 6)
    write_image(tmp_path / "extra" / "unlabeled.png", 999)
    ds = service.create_dataset("some", "detection", ["car", "bike", "bus"])
    service.import_files(ds.id, [src / "images", tmp_path / "extra"], "yolo", src / "labels")
    report = service.split(ds.id, val=0.5)
    assert report.excluded_unlabeled == 1
    assert assignment(service, ds.id)["unlabeled.png"] is None


@pytest.mark.parametrize(
    ("val", "test", "message"),
    [
        (0.0, 0.0, "--val must be between 0 and 1"),
        (1.2, 0.0, "--val must be between 0 and 1"),
        (0.2, -0.1, "--test must be between 0 and 1"),
        (0.6, 0.4, "must leave images to train on"),
    ],
)
def test_bad_ratios(
    service: DatasetService, tmp_path: Path, val: float, test: float, message: str
) -> None:
    src = labelled_folder(tmp_path / "src", 3)
    ds = service.create_dataset("r", "detection", ["car", "bike", "bus"])
    service.import_files(ds.id, [src / "images"], "yolo", src / "labels")
    with pytest.raises(DatasetError, match=message):
        service.split(ds.id, val=val, test=test)


def test_nothing_to_split(service: DatasetService) -> None:
    ds = service.create_dataset("empty", "detection", ["a"])
    with pytest.raises(DatasetError, match="no labeled images"):
        service.split(ds.id, val=0.2)
