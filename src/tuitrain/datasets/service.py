"""The one door to datasets for the CLI and the TUI.

Methods are synchronous and may take long (imports, downloads): the TUI calls them from
a thread worker and passes ``on_progress`` callbacks, which are called from that
thread. Every bad input raises :class:`~tuitrain.datasets.errors.DatasetError`
(a ``ValueError``) with a one-line message.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tuitrain.datasets import credentials
from tuitrain.datasets.audio import (
    DEFAULT_MAX_AUDIO_BYTES,
    AudioFolderReport,
    check_audio_files,
    inspect_audio,
    rave_preprocess_command,
)
from tuitrain.datasets.boxes import LabelSet
from tuitrain.datasets.derived_files import (
    materialise_split,
    refresh_label_files,
    write_class_files,
)
from tuitrain.datasets.errors import DatasetError
from tuitrain.datasets.export import ExportReport, export_dataset
from tuitrain.datasets.images import DEFAULT_MAX_BYTES, inspect_image
from tuitrain.datasets.import_report import Candidate, ImportReport, MediaInfo, ProgressCallback
from tuitrain.datasets.importer import Importer
from tuitrain.datasets.input_files import collect_files
from tuitrain.datasets.labels_coco import read_coco_labels
from tuitrain.datasets.labels_yolo import read_yolo_labels
from tuitrain.datasets.layout import datasets_root
from tuitrain.datasets.roboflow_download import RoboflowVersion, download_version
from tuitrain.datasets.roboflow_import import read_roboflow_export
from tuitrain.datasets.split import (
    SplitItem,
    SplitReport,
    assign_splits,
    check_ratios,
)
from tuitrain.datasets.stats import DatasetStats, compute_stats
from tuitrain.datasets.store import DatasetStore, dataset_classes
from tuitrain.datasets.summary import DatasetSummary, dataset_summary
from tuitrain.datasets.validate import ValidationResult, validate_for_training
from tuitrain.paths import database_path, tuitrain_home
from tuitrain.store.db import Database
from tuitrain.store.models import Dataset

__all__ = [
    "AudioFolderReport",
    "DatasetError",
    "DatasetService",
    "DatasetStats",
    "DatasetSummary",
    "ExportReport",
    "ImportReport",
    "ProgressCallback",
    "RoboflowImport",
    "SplitReport",
    "ValidationResult",
]


@dataclass(frozen=True, slots=True)
class RoboflowImport:
    dataset: DatasetSummary
    report: ImportReport


class DatasetService:
    def __init__(self, home: Path | None = None, db: Database | None = None) -> None:
        self.home = home or tuitrain_home()
        self.db = db or Database(database_path(self.home))
        self.store = DatasetStore(self.db, self.home)

    def close(self) -> None:
        self.db.dispose()

    # -- datasets --------------------------------------------------------------------
    def create_dataset(self, name: str, task: str, classes: Sequence[str] = ()) -> DatasetSummary:
        ds = self.store.create(name, task, classes)
        assert ds.id is not None
        self.store.layout(ds.id).create()
        write_class_files(self.store, ds.id)
        return self.get_dataset(ds.id)

    def get_dataset(self, dataset_id: int) -> DatasetSummary:
        ds = self.store.get(dataset_id)
        assert ds.id is not None
        return dataset_summary(ds, self.store.counts().get(ds.id, {}))

    def list_datasets(self) -> list[DatasetSummary]:
        counts = self.store.counts()
        return [
            dataset_summary(ds, counts.get(ds.id or 0, {})) for ds in self.store.list_datasets()
        ]

    def delete_dataset(self, dataset_id: int) -> None:
        self.store.get(dataset_id)
        self.store.delete(dataset_id)
        shutil.rmtree(self.store.layout(dataset_id).root, ignore_errors=True)

    # -- import ----------------------------------------------------------------------
    def import_files(
        self,
        dataset_id: int,
        paths: Sequence[str | Path],
        labels_format: str | None = None,
        labels_path: str | Path | None = None,
        on_progress: ProgressCallback | None = None,
        max_bytes: int | None = None,
    ) -> ImportReport:
        """Import images (or audio files) and, optionally, their labels."""
        ds = self.store.get(dataset_id)
        if (labels_format is None) != (labels_path is None):
            raise DatasetError("labels need both a format (yolo or coco) and a path")
        if ds.task == "audio" and labels_format:
            raise DatasetError("an audio dataset takes no labels")
        if not paths and labels_path is None:
            raise DatasetError("nothing to import: give files, folders or globs")
        labels = _read_labels(labels_format, Path(labels_path)) if labels_path else None
        files = collect_files(paths, exclude=_label_files(labels_format, labels_path))
        return self._import(ds, [Candidate(p) for p in files], labels, on_progress, max_bytes)

    def _import(
        self,
        ds: Dataset,
        candidates: list[Candidate],
        labels: LabelSet | None,
        on_progress: ProgressCallback | None,
        max_bytes: int | None,
    ) -> ImportReport:
        assert ds.id is not None
        self.store.layout(ds.id).create()
        if ds.task == "audio":
            limit = max_bytes or DEFAULT_MAX_AUDIO_BYTES

            def inspect(path: Path) -> MediaInfo:
                return inspect_audio(path, limit)

            importer = Importer(self.store, ds, inspect, "audio", limit)
        else:
            limit = max_bytes or DEFAULT_MAX_BYTES

            def inspect(path: Path) -> MediaInfo:
                return inspect_image(path, limit)

            importer = Importer(self.store, ds, inspect, "images", limit)
        report = importer.run(candidates, labels, on_progress)
        self.refresh_files(ds.id)
        return report

    def refresh_files(self, dataset_id: int) -> None:
        """Rewrite what derives from the database: labels/, classes.txt, data.yaml."""
        refresh_label_files(self.store, dataset_id)

    # -- split, stats, export, validate -----------------------------------------------
    def split(self, dataset_id: int, val: float, test: float = 0.0, seed: int = 0) -> SplitReport:
        check_ratios(val, test)
        ds = self.store.get(dataset_id)
        if ds.task == "audio":
            raise DatasetError("audio datasets are not split (rave preprocess uses every file)")
        items = self.store.items(dataset_id)
        boxes = self.store.boxes(dataset_id)
        labeled = [i for i in items if i.status != "unlabeled" and i.id is not None]
        if not labeled:
            raise DatasetError(f"dataset {dataset_id} has no labeled images to split")
        split_items = [
            SplitItem(i.id, i.filename, frozenset(b.class_id for b in boxes.get(i.id, ())))
            for i in labeled
            if i.id is not None
        ]
        assigned = assign_splits(split_items, val, test, seed)
        self.store.set_splits(dataset_id, assigned)
        report = materialise_split(self.store, dataset_id, assigned, seed)
        report.excluded_unlabeled = len(items) - len(labeled)
        return report

    def stats(self, dataset_id: int) -> DatasetStats:
        ds = self.store.get(dataset_id)
        assert ds.id is not None
        items = self.store.items(ds.id)
        return compute_stats(
            ds.id, ds.name, ds.task, dataset_classes(ds), items, self.store.boxes(ds.id)
        )

    def export(self, dataset_id: int, fmt: str, dest: str | Path) -> ExportReport:
        ds = self.store.get(dataset_id)
        if ds.task == "audio":
            raise DatasetError("audio datasets have no YOLO or COCO export")
        items = self.store.items(dataset_id)
        return export_dataset(
            fmt, Path(dest), dataset_classes(ds), items, self.store.boxes(dataset_id)
        )

    def validate(
        self,
        dataset_id: int,
        framework: str | None = None,
        max_classes: int | None = None,
        expected_classes: Sequence[str] | None = None,
        require_split: bool = True,
    ) -> ValidationResult:
        return validate_for_training(
            self.store, dataset_id, framework, max_classes, expected_classes, require_split
        )

    # -- Roboflow ----------------------------------------------------------------------
    def roboflow_key_source(self) -> str | None:
        return credentials.key_source(self.home)

    def save_roboflow_key(self, key: str) -> Path:
        return credentials.save_roboflow_key(key, self.home)

    def download_roboflow(
        self,
        workspace: str,
        project: str,
        version: int,
        fmt: str,
        name: str | None = None,
        on_download: ProgressCallback | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> RoboflowImport:
        """Download a version and make it a dataset (Roboflow's splits are kept)."""
        request = RoboflowVersion(workspace, project, version, fmt)
        request.check()
        name = self.store.check_name_free(name or f"{project}-v{version}")
        key = credentials.load_roboflow_key(self.home)
        if not key:
            raise DatasetError(
                "no Roboflow API key: set ROBOFLOW_API_KEY or store one in the credentials file"
            )
        staging = datasets_root(self.home) / f".roboflow-{uuid.uuid4().hex}"
        staging.parent.mkdir(parents=True, exist_ok=True)
        try:
            folder = download_version(request, key, staging / "export", on_download)
            candidates, labels = read_roboflow_export(folder, fmt)
            created = self.store.create(name, "detection", source="roboflow")
            assert created.id is not None
            dataset_id = created.id
            try:
                report = self._import(created, candidates, labels, on_progress, None)
                assigned = {i.id: i.split for i in self.store.items(dataset_id) if i.id and i.split}
                if assigned:
                    materialise_split(self.store, dataset_id, assigned, seed=0)
            except BaseException:
                self.delete_dataset(dataset_id)
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return RoboflowImport(self.get_dataset(dataset_id), report)

    # -- audio -------------------------------------------------------------------------
    def check_audio(self, paths: Sequence[str | Path]) -> AudioFolderReport:
        return check_audio_files(collect_files(paths))

    def rave_preprocess_command(
        self, dataset_id: int, sampling_rate: int | None = None, lazy: bool = False
    ) -> list[str]:
        """The ``rave preprocess`` command for an audio dataset; output in ``rave_db/``."""
        ds = self.store.get(dataset_id)
        if ds.task != "audio":
            raise DatasetError(f"dataset {dataset_id} is not an audio dataset")
        items = self.store.items(dataset_id)
        if not items:
            raise DatasetError(f"dataset {dataset_id} has no audio files")
        layout = self.store.layout(dataset_id)
        channels = max(i.channels or 1 for i in items)
        rate = sampling_rate or max(i.sample_rate or 44100 for i in items)
        return rave_preprocess_command(layout.audio, layout.root / "rave_db", channels, rate, lazy)


def _label_files(fmt: str | None, path: str | Path | None) -> list[Path]:
    """Files that are labels, not images, when labels sit beside the images."""
    if path is None:
        return []
    path = Path(path)
    if fmt == "yolo" and path.is_dir():
        return [*path.rglob("*.txt"), *path.glob("data.y*ml")]
    return [path]


def _read_labels(fmt: str | None, path: Path) -> LabelSet:
    if fmt == "yolo":
        return read_yolo_labels(path)
    if fmt == "coco":
        if not path.is_file():
            raise DatasetError(f"COCO labels must be a JSON file: {path} is not a file")
        return read_coco_labels(path)
    raise DatasetError(f"unknown labels format {fmt!r}: choose yolo or coco")
