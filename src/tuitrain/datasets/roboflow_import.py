"""Reading an unpacked Roboflow export: its split folders (``train``, ``valid``,
``test``), their images, and their labels as one :class:`LabelSet`."""

from __future__ import annotations

from pathlib import Path

from tuitrain.datasets.boxes import LabelSet
from tuitrain.datasets.errors import DatasetError
from tuitrain.datasets.import_report import Candidate
from tuitrain.datasets.input_files import collect_files
from tuitrain.datasets.labels_coco import read_coco_labels
from tuitrain.datasets.labels_yolo import read_data_yaml_names, read_yolo_labels
from tuitrain.datasets.layout import COCO_SPLIT_FILE

ROBOFLOW_SPLITS = {"train": "train", "valid": "val", "val": "val", "test": "test"}


def read_roboflow_export(folder: Path, fmt: str) -> tuple[list[Candidate], LabelSet]:
    candidates: list[Candidate] = []
    merged: LabelSet | None = None
    for name, split in ROBOFLOW_SPLITS.items():
        split_dir = folder / name
        if not split_dir.is_dir():
            continue
        if fmt == "coco":
            labels = read_coco_labels(split_dir / COCO_SPLIT_FILE)
            images = collect_files([split_dir], exclude=[split_dir / COCO_SPLIT_FILE])
        else:
            names = _yolo_names(folder)
            labels = read_yolo_labels(split_dir / "labels", names)
            images = (
                collect_files([split_dir / "images"]) if (split_dir / "images").is_dir() else []
            )
        candidates.extend(Candidate(p, split) for p in images)
        merged = labels if merged is None else _merge(merged, labels, name)
    if merged is None or not candidates:
        raise DatasetError("the Roboflow export has no train, valid or test folder with images")
    return candidates, merged


def _yolo_names(folder: Path) -> dict[int, str]:
    data_yaml = folder / "data.yaml"
    names = read_data_yaml_names(data_yaml) if data_yaml.is_file() else None
    if not names:
        raise DatasetError("the Roboflow export has no class names in data.yaml")
    return names


def _merge(into: LabelSet, other: LabelSet, split: str) -> LabelSet:
    if into.names != other.names:
        raise DatasetError(f"the {split} split of the export names other classes")
    for key, labels in other.by_key.items():
        if key in into.by_key:
            raise DatasetError(f"{key!r} is in two splits of the export: its labels are ambiguous")
        into.by_key[key] = labels
    into.notes.extend(other.notes)
    return into
