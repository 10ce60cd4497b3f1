"""What the new-training wizard knows of datasets: its only door to them.

Free of Textual; the wizard calls it from a thread worker (it reads the database and
the disk). :class:`StoreDatasetCatalog` goes through the datasets service; a test or
another source of datasets passes its own :class:`DatasetCatalog`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

# Which task each framework trains on (the datasets service refuses the others too).
FRAMEWORK_TASKS = {"yolo": "detection", "detr": "detection", "rave": "audio"}


@dataclass(frozen=True, slots=True)
class DatasetChoice:
    """A dataset of the store (``id``) or a path typed by the user (``id`` None)."""

    id: int | None
    name: str
    task: str  # detection | audio | "" (a path: not known)
    root: str
    detail: str = ""

    def training_path(self, framework: str) -> str:
        """What the framework's recipe is given: a store dataset's data.yaml (YOLO,
        DETR) or its preprocessed RAVE database; a typed path as it is."""
        from tuitrain.datasets.layout import training_path

        return self.root if self.id is None else training_path(self.root, framework)

    def guess_framework(self) -> str:
        """The framework the wizard proposes first for this dataset."""
        if self.task == "audio":
            return "rave"
        root = self.root
        if self.id is None and os.path.isdir(root):
            if os.path.isfile(os.path.join(root, "data.mdb")):
                return "rave"
            if not os.path.isfile(os.path.join(root, "data.yaml")):
                return "detr"
        return "yolo"

    def framework_problem(self, framework: str) -> str | None:
        """Why this dataset cannot train ``framework``, known without the disk."""
        want = FRAMEWORK_TASKS.get(framework)
        if self.task and want and self.task != want:
            return f"{framework.upper()} trains on {want} data; {self.name!r} is {self.task}"
        return None


@dataclass(slots=True)
class DatasetCheck:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class DatasetCatalog(Protocol):
    def list_datasets(self) -> list[DatasetChoice]: ...

    def check(self, choice: DatasetChoice) -> DatasetCheck: ...


def path_choice(text: str) -> DatasetChoice:
    path = os.path.abspath(os.path.expanduser(text.strip()))
    return DatasetChoice(None, Path(path).name or path, "", path)


def check_path(choice: DatasetChoice) -> DatasetCheck:
    """A typed path: is there something at all? (What it must be depends on the
    framework, checked on the next page.)"""
    if not choice.root or not os.path.exists(choice.root):
        return DatasetCheck([f"no such file or folder: {choice.root}"])
    return DatasetCheck()


class StoreDatasetCatalog:
    """Datasets of the store in ``home`` (default ``TUITRAIN_HOME``), through the
    datasets service: its listing, and its checks before training (files present,
    labels, classes, split)."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = home

    def list_datasets(self) -> list[DatasetChoice]:
        from tuitrain.datasets.service import DatasetService

        service = DatasetService(self.home)
        try:
            summaries = service.list_datasets()
        finally:
            service.close()
        choices = []
        for ds in summaries:
            if ds.task == "audio":
                detail = f"audio, {ds.items} files"
            else:
                detail = f"{ds.items} images, {ds.labeled} labeled, {len(ds.classes)} classes"
            choices.append(DatasetChoice(ds.id, ds.name, ds.task, ds.path, detail))
        return choices

    def check(self, choice: DatasetChoice) -> DatasetCheck:
        if choice.id is None:
            return check_path(choice)
        from tuitrain.datasets.service import DatasetService

        service = DatasetService(self.home)
        try:
            result = service.validate(choice.id)
        finally:
            service.close()
        return DatasetCheck(list(result.errors), list(result.warnings))
