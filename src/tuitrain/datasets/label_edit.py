"""Editing one image's boxes: add, delete, change class, move and resize in pixel steps,
mark reviewed, undo and redo; every state saved to the database and the label file.

The edits are in memory and instant (the TUI calls them on its event loop); :meth:`save`
writes the latest state and may be called from a worker thread. The label file, and for
an image in a split the split's label copy and COCO JSON, are written to temporary names
first and renamed after the database has committed, so a reader sees the old file or the
new one, never half of one; undo writes the earlier state again, byte for byte the files
it was. An unlabeled image has no label file.
"""

from __future__ import annotations

import os
import tempfile
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from PIL import Image

from tuitrain.datasets.boxes import Box
from tuitrain.datasets.derived_files import split_coco_text
from tuitrain.datasets.errors import DatasetError
from tuitrain.datasets.labels_yolo import yolo_text
from tuitrain.datasets.layout import COCO_SPLIT_FILE
from tuitrain.datasets.store import DatasetStore, dataset_classes
from tuitrain.preview import DrawnBox
from tuitrain.store.models import DatasetImage

STEP_PX = 1
BIG_STEP_PX = 10
NEW_BOX_FRACTION = 0.25  # a new box: a quarter of the image's width and height, centred
# A split's COCO JSON holds every image of the split: two editors saving at once (the
# next image's editor while the last one's save is in flight) would each stage it from
# the database without the other's edit. One save at a time keeps both.
_SPLIT_FILES_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class LabelState:
    boxes: tuple[Box, ...]
    status: str


@dataclass(frozen=True, slots=True)
class PixelBox:
    """A box as the table shows it: centre and size in pixels and normalised."""

    index: int
    class_id: int
    class_name: str
    x: float
    y: float
    w: float
    h: float
    box: Box


@dataclass(frozen=True, slots=True)
class ImageEntry:
    """One line of the editor's image list."""

    image_id: int
    filename: str
    status: str
    boxes: int


def list_images(store: DatasetStore, dataset_id: int) -> tuple[list[str], list[ImageEntry]]:
    """The classes and images of a detection dataset, in import order."""
    ds = store.get(dataset_id)
    if ds.task != "detection":
        raise DatasetError(f"dataset {dataset_id} is an {ds.task} dataset: it has no boxes")
    boxes = store.boxes(dataset_id)
    entries = [
        ImageEntry(i.id, i.filename, i.status, len(boxes.get(i.id, ())))
        for i in store.items(dataset_id)
        if i.id is not None
    ]
    return dataset_classes(ds), entries


class ImageLabelEditor:
    """The boxes of one image of a detection dataset, under edit."""

    def __init__(self, store: DatasetStore, item: DatasetImage, classes: list[str]) -> None:
        if item.id is None:
            raise DatasetError("the image has no id")
        self.store = store
        self.item = item
        self.image_id: int = item.id
        self.classes = classes
        self.image_path = Path(item.path)
        self.size = _image_size(item)
        boxes = store.image_boxes(item.id)
        self.state = LabelState(tuple(boxes), item.status)
        self.selected: int | None = 0 if boxes else None
        self.undo_stack: list[tuple[LabelState, int | None]] = []
        self.redo_stack: list[tuple[LabelState, int | None]] = []
        self.generation = 0  # bumped by every change
        self.saved_generation = 0
        self._save_lock = threading.Lock()
        self.layout = store.layout(item.dataset_id)

    # -- reading -----------------------------------------------------------------------
    @property
    def boxes(self) -> tuple[Box, ...]:
        return self.state.boxes

    @property
    def status(self) -> str:
        return self.state.status

    @property
    def dirty(self) -> bool:
        return self.saved_generation != self.generation

    def class_name(self, class_id: int) -> str:
        return self.classes[class_id] if 0 <= class_id < len(self.classes) else f"#{class_id}"

    def pixel_boxes(self) -> list[PixelBox]:
        width, height = self.size
        return [
            PixelBox(
                i,
                b.class_id,
                self.class_name(b.class_id),
                b.x_center * width,
                b.y_center * height,
                b.width * width,
                b.height * height,
                b,
            )
            for i, b in enumerate(self.state.boxes)
        ]

    def drawn_boxes(self) -> list[DrawnBox]:
        """The boxes in pixel corners, for :func:`tuitrain.preview.render_boxes`."""
        return [
            DrawnBox(
                p.class_name, p.x - p.w / 2, p.y - p.h / 2, p.x + p.w / 2, p.y + p.h / 2, p.class_id
            )
            for p in self.pixel_boxes()
        ]

    # -- edits -------------------------------------------------------------------------
    def select(self, index: int) -> None:
        if self.state.boxes:
            self.selected = index % len(self.state.boxes)

    def add(self, class_id: int) -> None:
        self._check_class(class_id)
        size = NEW_BOX_FRACTION
        boxes = (*self.state.boxes, Box(class_id, 0.5, 0.5, size, size))
        self._change(boxes, len(boxes) - 1)

    def delete(self) -> None:
        index = self._selected()
        boxes = self.state.boxes[:index] + self.state.boxes[index + 1 :]
        self._change(boxes, min(index, len(boxes) - 1) if boxes else None)

    def set_class(self, class_id: int) -> None:
        self._check_class(class_id)
        index = self._selected()
        self._replace(index, replace(self.state.boxes[index], class_id=class_id))

    def move(self, dx_px: int, dy_px: int) -> None:
        """Move the selected box, kept inside the image."""
        index = self._selected()
        b = self.state.boxes[index]
        width, height = self.size
        x = _clamp(b.x_center + dx_px / width, b.width / 2, 1 - b.width / 2)
        y = _clamp(b.y_center + dy_px / height, b.height / 2, 1 - b.height / 2)
        self._replace(index, replace(b, x_center=x, y_center=y))

    def resize(self, dw_px: int, dh_px: int) -> None:
        """Grow or shrink the selected box by its right and bottom edges (top-left
        corner fixed), kept inside the image and at least one pixel."""
        index = self._selected()
        b = self.state.boxes[index]
        width, height = self.size
        left, top = b.x_center - b.width / 2, b.y_center - b.height / 2
        new_w = _clamp(b.width + dw_px / width, 1 / width, 1 - left)
        new_h = _clamp(b.height + dh_px / height, 1 / height, 1 - top)
        resized = replace(
            b, x_center=left + new_w / 2, y_center=top + new_h / 2, width=new_w, height=new_h
        )
        self._replace(index, resized)

    def toggle_reviewed(self) -> None:
        """Reviewed, or back to labeled (an unlabeled image marked reviewed is a
        background image someone looked at)."""
        status = "labeled" if self.state.status == "reviewed" else "reviewed"
        self._push(LabelState(self.state.boxes, status), self.selected)

    def undo(self) -> bool:
        if not self.undo_stack:
            return False
        self.redo_stack.append((self.state, self.selected))
        self.state, self.selected = self.undo_stack.pop()
        self.generation += 1
        return True

    def redo(self) -> bool:
        if not self.redo_stack:
            return False
        self.undo_stack.append((self.state, self.selected))
        self.state, self.selected = self.redo_stack.pop()
        self.generation += 1
        return True

    # -- saving ------------------------------------------------------------------------
    def save(self) -> bool:
        """Write the latest state (database, then the label files by rename); False when
        it was already written. Safe to call from several threads: the last write is
        always the latest state."""
        with self._save_lock:
            generation, state = self.generation, self.state
            if generation == self.saved_generation:
                return False
            with _SPLIT_FILES_LOCK:
                self._write(state)
            self.saved_generation = generation
            return True

    def derived_files(self, split: str | None) -> list[Path]:
        """What a save rewrites besides the database: the image's YOLO label, and when it
        is in a split, the split's copy of that label and the split's COCO JSON (what a
        DETR training reads), so no training starts from boxes an edit replaced."""
        label = self.layout.label_for(self.item.filename)
        if not split:
            return [label]
        folder = self.layout.split_dir(split)
        return [label, folder / "labels" / label.name, folder / COCO_SPLIT_FILE]

    def _write(self, state: LabelState) -> None:
        """Stage every file, commit the database, then rename the files into place: a
        failure before the commit leaves everything as it was; a reader sees each file
        old or new, never half of one."""
        split = self.store.image(self.image_id).split  # now, not when the editor opened
        files = self.derived_files(split)
        text = yolo_text(state.boxes) if state.status != "unlabeled" else None
        writes: list[tuple[Path, str]] = []
        if text is not None:
            writes += [(path, text) for path in files if path.suffix == ".txt"]
        if split:
            coco = split_coco_text(
                self.store, self.item.dataset_id, split, self.image_id, state.boxes
            )
            writes.append((files[-1], coco))
        staged: list[Path] = []
        try:
            for path, content in writes:
                staged.append(_stage(path, content))
            self.store.save_image_labels(self.image_id, state.boxes, state.status)
        except BaseException:
            for tmp in staged:
                tmp.unlink(missing_ok=True)
            raise
        if text is None:
            for path in files:
                if path.suffix == ".txt":
                    path.unlink(missing_ok=True)
        for tmp, (path, _content) in zip(staged, writes, strict=True):
            os.replace(tmp, path)

    # -- internals -----------------------------------------------------------------------
    def _selected(self) -> int:
        if self.selected is None or not self.state.boxes:
            raise DatasetError("no box selected: add one first")
        return self.selected

    def _check_class(self, class_id: int) -> None:
        if not self.classes:
            raise DatasetError("the dataset has no classes to label with")
        if not 0 <= class_id < len(self.classes):
            raise DatasetError(
                f"class {class_id} does not exist (0..{len(self.classes) - 1}: "
                + ", ".join(self.classes)
                + ")"
            )

    def _replace(self, index: int, box: Box) -> None:
        boxes = list(self.state.boxes)
        boxes[index] = _as_written(box)
        self._change(tuple(boxes), index)

    def _change(self, boxes: tuple[Box, ...], selected: int | None) -> None:
        status = "labeled" if self.state.status == "unlabeled" else self.state.status
        self._push(LabelState(boxes, status), selected)

    def _push(self, state: LabelState, selected: int | None) -> None:
        if state == self.state:
            self.selected = selected
            return  # against the image's edge: nothing changed, nothing to undo
        self.undo_stack.append((self.state, self.selected))
        self.redo_stack.clear()
        self.state, self.selected = state, selected
        self.generation += 1


def _as_written(box: Box) -> Box:
    """The box with the precision of its label file line, so the database and the file
    hold the same numbers (and pixel steps leave no float noise behind)."""

    def tidy(v: float) -> float:
        return float(f"{v:.10g}")

    return Box(
        box.class_id, *(tidy(v) for v in (box.x_center, box.y_center, box.width, box.height))
    )


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def _image_size(item: DatasetImage) -> tuple[int, int]:
    if item.width and item.height:
        return item.width, item.height
    try:
        with Image.open(item.path) as img:
            return img.size
    except OSError as exc:
        raise DatasetError(f"cannot read image {item.filename}: {exc}") from exc


def _stage(path: Path, text: str) -> Path:
    """``text`` in a temporary file beside ``path``, ready to be renamed over it."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise DatasetError(f"cannot write {path}: {exc.strerror or exc}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise DatasetError(f"cannot write {path}: {exc}") from exc
    return Path(tmp)
