"""Exporting a dataset as YOLO (images/, labels/, classes.txt, data.yaml) or COCO
(images/, annotations.json). Built in a temporary folder beside the destination and
renamed into place, so a failed export leaves nothing behind."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from tuitrain.datasets.boxes import Box
from tuitrain.datasets.errors import DatasetError
from tuitrain.datasets.labels_coco import CocoImage, write_coco
from tuitrain.datasets.labels_yolo import classes_txt_text, data_yaml_text, yolo_text
from tuitrain.store.models import DatasetImage

ExportFormat = Literal["yolo", "coco"]
COCO_EXPORT_FILE = "annotations.json"


@dataclass(frozen=True, slots=True)
class ExportReport:
    dest: str
    format: str
    images: int
    labeled: int
    boxes: int

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def export_dataset(
    fmt: str,
    dest: Path,
    classes: Sequence[str],
    items: Sequence[DatasetImage],
    boxes: Mapping[int, Sequence[Box]],
) -> ExportReport:
    if fmt not in ("yolo", "coco"):
        raise DatasetError(f"unknown export format {fmt!r}: choose yolo or coco")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise DatasetError(f"{dest} exists and is not an empty folder")
    dest = dest.absolute()
    dest.parent.mkdir(parents=True, exist_ok=True)
    building = dest.parent / f".{dest.name}-{uuid.uuid4().hex}"
    labeled = [i for i in items if i.status != "unlabeled" and i.id is not None]
    try:
        (building / "images").mkdir(parents=True)
        for item in items:
            shutil.copy2(item.path, building / "images" / item.filename)
        if fmt == "yolo":
            (building / "labels").mkdir()
            for item in labeled:
                assert item.id is not None
                label = building / "labels" / (Path(item.filename).stem + ".txt")
                label.write_text(yolo_text(boxes.get(item.id, ())), encoding="utf-8")
            (building / "classes.txt").write_text(classes_txt_text(classes), encoding="utf-8")
            splits = {"train": "images", "val": "images"}
            (building / "data.yaml").write_text(
                data_yaml_text(dest, classes, splits), encoding="utf-8"
            )
        else:
            coco = [
                CocoImage(i.id, i.filename, i.width or 0, i.height or 0, list(boxes.get(i.id, ())))
                for i in labeled
                if i.id is not None
            ]
            write_coco(building / COCO_EXPORT_FILE, coco, classes)
        if dest.exists():
            dest.rmdir()
        building.rename(dest)
    except OSError as exc:
        raise DatasetError(f"export to {dest} failed: {exc.strerror or exc}") from exc
    finally:
        if building.exists():
            shutil.rmtree(building)
    return ExportReport(
        str(dest),
        fmt,
        len(items),
        len(labeled),
        sum(len(boxes.get(i.id, ())) for i in labeled if i.id),
    )
