"""The import form: what to import (files, a folder or a glob) and, optionally, labels
(a YOLO folder or a COCO JSON file). Paths are checked as typed; the import itself
runs in :mod:`tuitrain.ui.screens.dataset_import_run`."""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, Select, Static

from tuitrain.ui.screens.dataset_forms import FORM_CSS, DatasetForm

LABEL_FORMATS = [("none (images only)", "none"), ("YOLO txt folder", "yolo"), ("COCO JSON", "coco")]


@dataclass(frozen=True, slots=True)
class ImportRequest:
    path: str
    labels_format: str | None  # None: no labels
    labels_path: str | None


def path_problem(text: str) -> str | None:
    """Why ``text`` names nothing to import (None: it names something)."""
    text = text.strip()
    if not text:
        return "give a file, a folder or a glob (e.g. ~/photos/*.jpg)"
    path = Path(text).expanduser()
    if path.exists():
        return None
    if glob.has_magic(text):
        matches = glob.iglob(str(path), recursive=True)
        return None if next(matches, None) is not None else f"no files match {text}"
    return f"no such file or folder: {text}"


def labels_problem(fmt: str, text: str) -> str | None:
    text = text.strip()
    if fmt == "none":
        return "choose a labels format, or empty this field" if text else None
    if not text:
        return f"give the {'folder of .txt files' if fmt == 'yolo' else 'COCO JSON file'}"
    path = Path(text).expanduser()
    if not path.exists():
        return f"no such file or folder: {text}"
    if fmt == "coco" and not path.is_file():
        return "COCO labels are one JSON file, not a folder"
    return None


class ImportForm(DatasetForm[ImportRequest]):
    """Where the images (or audio files) are, and their labels if any."""

    TITLE = "Import"
    SUBMIT = "Import"
    BINDINGS = [
        Binding("ctrl+s", "submit", "Import", tooltip="Start the import (enter in a field)"),
    ]
    DEFAULT_CSS = (
        FORM_CSS.format(name="ImportForm")
        + """
    ImportForm #import-about { margin-top: 1; color: $text-muted; }
    """
    )

    def __init__(self, dataset_name: str, task: str) -> None:
        super().__init__()
        self.dataset_name, self.dataset_task = dataset_name, task

    def form_fields(self) -> ComposeResult:
        media = "audio files" if self.dataset_task == "audio" else "images"
        yield Static(
            f"Into {self.dataset_name}: {media} are checked and copied; duplicates and "
            "unreadable files are reported, not imported.",
            id="import-about",
            markup=False,
        )
        path = Input(placeholder="~/data/images  or  ~/data/**/*.jpg", id="path")
        yield from self.field(f"{media.capitalize()}: file, folder or glob", path)
        if self.dataset_task == "audio":
            return
        fmt = Select(LABEL_FORMATS, value="none", allow_blank=False, id="labels-format")
        yield from self.field("Labels format", fmt)
        labels = Input(placeholder="~/data/labels  or  ~/data/annotations.json", id="labels")
        yield from self.field("Labels: YOLO folder or COCO JSON file", labels)

    @property
    def labels_format(self) -> str:
        if self.dataset_task == "audio":
            return "none"
        return str(self.query_one("#labels-format", Select).value)

    def problems(self) -> dict[str, str]:
        found: dict[str, str] = {}
        if problem := path_problem(self.value("path")):
            found["path"] = problem
        labels = labels_problem(self.labels_format, self.value("labels"))
        if self.dataset_task != "audio" and labels:
            found["labels"] = labels
        return found

    def answer(self) -> ImportRequest:
        fmt = self.labels_format
        labels = self.value("labels").strip() if fmt != "none" else None
        return ImportRequest(
            self.value("path").strip(),
            None if fmt == "none" else fmt,
            str(Path(labels).expanduser()) if labels else None,
        )
