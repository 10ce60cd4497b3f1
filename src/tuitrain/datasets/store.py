"""Reads and writes of datasets, their images and boxes: the dataset domain's only
door to the database."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from sqlalchemy import delete, func, update
from sqlalchemy import select as select_columns
from sqlmodel import col, select

from tuitrain.datasets.boxes import Box
from tuitrain.datasets.errors import DatasetError, UnknownDataset
from tuitrain.datasets.layout import DatasetLayout
from tuitrain.store.db import Database
from tuitrain.store.models import Annotation, Dataset, DatasetImage

TASKS = ("detection", "audio")
STATUSES = ("unlabeled", "labeled", "reviewed")


def dataset_classes(dataset: Dataset) -> list[str]:
    classes = json.loads(dataset.classes_json or "[]")
    return [str(c) for c in classes]


def annotation_row(image_id: int, b: Box) -> Annotation:
    return Annotation(
        image_id=image_id,
        class_id=b.class_id,
        x_center=b.x_center,
        y_center=b.y_center,
        width=b.width,
        height=b.height,
    )


def check_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise DatasetError("a dataset needs a name")
    if len(cleaned) > 200 or any(ord(c) < 32 for c in cleaned):
        raise DatasetError("a dataset name is one line of at most 200 characters")
    return cleaned


def check_classes(classes: Sequence[str]) -> list[str]:
    cleaned = [c.strip() for c in classes]
    if any(not c for c in cleaned):
        raise DatasetError("class names must not be empty")
    if any(any(ord(ch) < 32 for ch in c) for c in cleaned):
        raise DatasetError("class names must be single lines")
    seen: set[str] = set()
    for c in cleaned:
        if c in seen:
            raise DatasetError(f"class {c!r} is given twice")
        seen.add(c)
    return cleaned


class DatasetStore:
    def __init__(self, db: Database, home: Path) -> None:
        self.db = db
        self.home = home

    def layout(self, dataset_id: int) -> DatasetLayout:
        return DatasetLayout.of(dataset_id, self.home)

    def create(
        self, name: str, task: str, classes: Sequence[str] = (), source: str = "local"
    ) -> Dataset:
        name = check_name(name)
        if task not in TASKS:
            raise DatasetError(f"unknown task {task!r}: choose detection or audio")
        cleaned = check_classes(classes)
        if task == "audio" and cleaned:
            raise DatasetError("an audio dataset has no classes")
        with self.db.write() as s:
            clash = s.scalars(select(Dataset).where(Dataset.name == name)).first()
            if clash is not None:
                raise DatasetError(f"a dataset named {name!r} already exists (id {clash.id})")
            ds = Dataset(name=name, task=task, classes_json=json.dumps(cleaned), source=source)
            s.add(ds)
            s.flush()
            assert ds.id is not None
            ds.path = str(self.layout(ds.id).root)
            s.add(ds)
        return ds

    def check_name_free(self, name: str) -> str:
        name = check_name(name)
        with self.db.read() as s:
            clash = s.scalars(select(Dataset).where(Dataset.name == name)).first()
        if clash is not None:
            raise DatasetError(f"a dataset named {name!r} already exists (id {clash.id})")
        return name

    def get(self, dataset_id: int) -> Dataset:
        with self.db.read() as s:
            ds = s.get(Dataset, dataset_id)
            if ds is None:
                raise UnknownDataset(dataset_id)
            return ds

    def list_datasets(self) -> list[Dataset]:
        with self.db.read() as s:
            return list(s.scalars(select(Dataset).order_by(col(Dataset.id))))

    def counts(self) -> dict[int, dict[str, int]]:
        """Per dataset: items, and items per status."""
        out: dict[int, dict[str, int]] = defaultdict(lambda: dict.fromkeys(STATUSES, 0))
        query = select(DatasetImage.dataset_id, DatasetImage.status, func.count()).group_by(
            col(DatasetImage.dataset_id), col(DatasetImage.status)
        )
        with self.db.read() as s:
            for dataset_id, status, n in s.execute(query):
                out[dataset_id][status] = n
        return dict(out)

    def set_classes(self, dataset_id: int, classes: Sequence[str]) -> None:
        with self.db.write() as s:
            ds = s.get(Dataset, dataset_id)
            if ds is None:
                raise UnknownDataset(dataset_id)
            ds.classes_json = json.dumps(list(classes))
            s.add(ds)

    def items(self, dataset_id: int) -> list[DatasetImage]:
        with self.db.read() as s:
            query = (
                select(DatasetImage)
                .where(col(DatasetImage.dataset_id) == dataset_id)
                .order_by(col(DatasetImage.id))
            )
            return list(s.scalars(query))

    def boxes(self, dataset_id: int) -> dict[int, list[Box]]:
        """Image id -> its boxes, in insertion order."""
        query = (
            select(Annotation)
            .join(DatasetImage, col(DatasetImage.id) == col(Annotation.image_id))
            .where(col(DatasetImage.dataset_id) == dataset_id)
            .order_by(col(Annotation.id))
        )
        out: dict[int, list[Box]] = defaultdict(list)
        with self.db.read() as s:
            for a in s.scalars(query):
                out[a.image_id].append(Box(a.class_id, a.x_center, a.y_center, a.width, a.height))
        return dict(out)

    def split_items(self, dataset_id: int, split: str) -> list[DatasetImage]:
        """The images of one split, in import order."""
        query = (
            select(DatasetImage)
            .where(col(DatasetImage.dataset_id) == dataset_id, col(DatasetImage.split) == split)
            .order_by(col(DatasetImage.id))
        )
        with self.db.read() as s:
            return list(s.scalars(query))

    def split_boxes(self, dataset_id: int, split: str) -> dict[int, list[Box]]:
        """Image id -> its boxes, for the images of one split (columns only, no ORM
        objects: the label editor calls this on every save)."""
        query = (
            select_columns(
                col(Annotation.image_id),
                col(Annotation.class_id),
                col(Annotation.x_center),
                col(Annotation.y_center),
                col(Annotation.width),
                col(Annotation.height),
            )
            .join(DatasetImage, col(DatasetImage.id) == col(Annotation.image_id))
            .where(col(DatasetImage.dataset_id) == dataset_id, col(DatasetImage.split) == split)
            .order_by(col(Annotation.id))
        )
        out: dict[int, list[Box]] = defaultdict(list)
        with self.db.read() as s:
            for image_id, *values in s.execute(query):
                out[image_id].append(Box(*values))
        return dict(out)

    def save_image_labels(self, image_id: int, boxes: Sequence[Box], status: str) -> None:
        """Replace one image's boxes and set its status, in one transaction (the label
        editor's save)."""
        if status not in STATUSES:
            raise DatasetError(f"unknown image status {status!r}")
        with self.db.write() as s:
            item = s.get(DatasetImage, image_id)
            if item is None:
                raise DatasetError(f"image {image_id} is no longer in the dataset")
            s.execute(delete(Annotation).where(col(Annotation.image_id) == image_id))
            for b in boxes:
                s.add(annotation_row(image_id, b))
            item.status = status
            s.add(item)

    def image_boxes(self, image_id: int) -> list[Box]:
        """One image's boxes, in insertion order."""
        query = (
            select(Annotation)
            .where(col(Annotation.image_id) == image_id)
            .order_by(col(Annotation.id))
        )
        with self.db.read() as s:
            return [
                Box(a.class_id, a.x_center, a.y_center, a.width, a.height) for a in s.scalars(query)
            ]

    def image(self, image_id: int) -> DatasetImage:
        with self.db.read() as s:
            item = s.get(DatasetImage, image_id)
            if item is None:
                raise DatasetError(f"image {image_id} is no longer in the dataset")
            return item

    def set_splits(self, dataset_id: int, splits: Mapping[int, str | None]) -> None:
        with self.db.write() as s:
            s.execute(
                update(DatasetImage)
                .where(col(DatasetImage.dataset_id) == dataset_id)
                .values(split=None)
            )
            by_split: dict[str | None, list[int]] = defaultdict(list)
            for image_id, split in splits.items():
                by_split[split].append(image_id)
            for split, ids in by_split.items():
                if split is None:
                    continue
                for chunk in range(0, len(ids), 500):
                    s.execute(
                        update(DatasetImage)
                        .where(col(DatasetImage.id).in_(ids[chunk : chunk + 500]))
                        .values(split=split)
                    )

    def delete(self, dataset_id: int) -> None:
        """Remove the dataset's rows (its folder is the caller's)."""
        with self.db.write() as s:
            image_ids = select(DatasetImage.id).where(col(DatasetImage.dataset_id) == dataset_id)
            s.execute(delete(Annotation).where(col(Annotation.image_id).in_(image_ids)))
            s.execute(delete(DatasetImage).where(col(DatasetImage.dataset_id) == dataset_id))
            s.execute(delete(Dataset).where(col(Dataset.id) == dataset_id))
