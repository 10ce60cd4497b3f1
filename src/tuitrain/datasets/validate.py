"""Checks before training (the wizard runs them): the dataset exists, has labels and a
split, its files are there, and its classes fit the chosen model."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from tuitrain.datasets.errors import UnknownDataset
from tuitrain.datasets.layout import SPLITS
from tuitrain.datasets.store import DatasetStore, dataset_classes

# Which task each framework trains on.
FRAMEWORK_TASKS = {
    "yolo": "detection",
    "ultralytics": "detection",
    "detr": "detection",
    "rave": "audio",
}


@dataclass(slots=True)
class ValidationResult:
    dataset_id: int
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


def validate_for_training(
    store: DatasetStore,
    dataset_id: int,
    framework: str | None = None,
    max_classes: int | None = None,
    expected_classes: Sequence[str] | None = None,
    require_split: bool = True,
) -> ValidationResult:
    """Every problem found, not only the first: the wizard shows them all."""
    result = ValidationResult(dataset_id)
    try:
        ds = store.get(dataset_id)
    except UnknownDataset as exc:
        result.errors.append(str(exc))
        return result
    want = FRAMEWORK_TASKS.get((framework or "").lower())
    if want and ds.task != want:
        result.errors.append(f"{framework} trains on {want} data; dataset {ds.name!r} is {ds.task}")
        return result
    root = Path(ds.path)
    if not root.is_dir():
        result.errors.append(f"the dataset folder {root} is missing")
        return result
    items = store.items(dataset_id)
    missing = [i.filename for i in items if not Path(i.path).is_file()]
    if missing:
        result.errors.append(f"{len(missing)} file(s) missing on disk, e.g. {missing[0]}")
    if ds.task == "audio":
        if not items:
            result.errors.append("the dataset has no audio files")
        elif sum(i.duration_s or 0.0 for i in items) <= 0:
            result.errors.append("the audio files have no duration")
        return result
    classes = dataset_classes(ds)
    labeled = [i for i in items if i.status != "unlabeled"]
    if not items:
        result.errors.append("the dataset has no images")
    elif not labeled:
        result.errors.append("no image is labeled")
    boxes = store.boxes(dataset_id)
    n_boxes = sum(len(b) for b in boxes.values())
    if labeled and n_boxes == 0:
        result.errors.append("the labeled images have no boxes (all background)")
    if not classes:
        result.errors.append("the dataset has no classes")
    bad = sorted({b.class_id for bs in boxes.values() for b in bs if b.class_id >= len(classes)})
    if bad:
        result.errors.append(f"boxes use class ids with no name: {bad}")
    if max_classes is not None and len(classes) > max_classes:
        result.errors.append(f"{len(classes)} classes, the model takes at most {max_classes}")
    if expected_classes is not None and list(expected_classes) != classes:
        result.errors.append(
            f"the model was trained on classes {list(expected_classes)}, the dataset has {classes}"
        )
    if require_split:
        split_counts = {s: sum(1 for i in labeled if i.split == s) for s in SPLITS}
        if not split_counts["train"] or not split_counts["val"]:
            result.errors.append("not split: run `tuitrain dataset split` (train and val needed)")
        elif not (root / "data.yaml").is_file():
            result.errors.append("data.yaml is missing: run the split again")
        else:
            # Labeled after the split (in the label editor): no split folder has them.
            outside = sum(1 for i in labeled if i.split not in SPLITS)
            if outside:
                result.warnings.append(
                    f"{outside} labeled image(s) are in no split and will not be used: "
                    "run `tuitrain dataset split` again"
                )
    unlabeled = len(items) - len(labeled)
    if unlabeled:
        result.warnings.append(f"{unlabeled} unlabeled image(s) will not be used")
    return result
