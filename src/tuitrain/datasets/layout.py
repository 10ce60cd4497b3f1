"""Where a dataset's files live: ``<TUITRAIN_HOME>/datasets/<id>/``.

``images/`` and ``labels/`` hold the dataset itself (labels are YOLO txt files derived
from the database); ``train/``, ``val/`` and ``test/`` link to the images of a split;
``data.yaml`` and ``classes.txt`` carry the canonical class order.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from tuitrain.paths import tuitrain_home

SPLITS = ("train", "val", "test")
COCO_SPLIT_FILE = "_annotations.coco.json"


def datasets_root(home: Path | None = None) -> Path:
    return (home or tuitrain_home()) / "datasets"


@dataclass(frozen=True, slots=True)
class DatasetLayout:
    root: Path

    @classmethod
    def of(cls, dataset_id: int, home: Path | None = None) -> DatasetLayout:
        return cls(datasets_root(home) / str(dataset_id))

    @property
    def images(self) -> Path:
        return self.root / "images"

    @property
    def labels(self) -> Path:
        return self.root / "labels"

    @property
    def audio(self) -> Path:
        return self.root / "audio"

    @property
    def data_yaml(self) -> Path:
        return self.root / "data.yaml"

    @property
    def classes_txt(self) -> Path:
        return self.root / "classes.txt"

    def split_dir(self, split: str) -> Path:
        return self.root / split

    def label_for(self, image_filename: str) -> Path:
        return self.labels / (Path(image_filename).stem + ".txt")

    def create(self) -> None:
        for folder in (self.images, self.labels):
            folder.mkdir(parents=True, exist_ok=True)


def training_path(root: str, framework: str) -> str:
    """What a framework's recipe is given for a store dataset in ``root``: its
    data.yaml (YOLO, DETR) or its preprocessed RAVE database."""
    if framework == "rave":
        return os.path.join(root, "rave_db")
    return os.path.join(root, "data.yaml")
