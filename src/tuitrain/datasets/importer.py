"""Importing files into a dataset, all or nothing.

Each file is copied into a staging folder first and checked there (content, size,
decoding, hash), so what is checked is what lands. Rows and files are committed
together at the end: one write transaction inserts the rows and moves the staged
files into place; if anything fails, the moved files are removed and the transaction
rolls back. A refused file is reported with its reason and does not stop the others.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy import delete
from sqlmodel import col, select

from tuitrain.datasets.boxes import Box, ClassMapping, LabelSet, canonical_boxes, map_classes
from tuitrain.datasets.errors import DatasetError, MediaProblem
from tuitrain.datasets.import_report import (
    Candidate,
    FileOutcome,
    ImportReport,
    Inspector,
    MediaInfo,
    Outcome,
    ProgressCallback,
)
from tuitrain.datasets.input_files import safe_stem
from tuitrain.datasets.layout import DatasetLayout
from tuitrain.datasets.store import DatasetStore, annotation_row, dataset_classes
from tuitrain.store.models import Annotation, Dataset, DatasetImage


@dataclass(slots=True)
class _Pending:
    candidate: Candidate
    staged: Path
    filename: str
    info: MediaInfo
    boxes: list[Box] | None  # None: no labels given for it


class Importer:
    """One import into one dataset. Build it, call :meth:`run` once."""

    def __init__(
        self,
        store: DatasetStore,
        dataset: Dataset,
        inspect: Inspector,
        media_folder: Literal["images", "audio"] = "images",
        max_bytes: int | None = None,
    ) -> None:
        assert dataset.id is not None
        self.store = store
        self.dataset = dataset
        self.dataset_id = dataset.id
        self.layout: DatasetLayout = store.layout(dataset.id)
        self.inspect = inspect
        self.media_dir = self.layout.root / media_folder
        self.max_bytes = max_bytes
        self.report = ImportReport(dataset.id)

    def run(
        self,
        candidates: Sequence[Candidate],
        labels: LabelSet | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> ImportReport:
        mapping = map_classes(dataset_classes(self.dataset), labels.names) if labels else None
        existing = self.store.items(self.dataset_id)
        by_hash = {item.sha256: item.filename for item in existing}
        used_stems = {Path(item.filename).stem.lower() for item in existing}
        self.media_dir.mkdir(parents=True, exist_ok=True)
        staging = self.layout.root / f".staging-{uuid.uuid4().hex}"
        staging.mkdir(parents=True)
        try:
            pending = self._stage(
                candidates, labels, mapping, by_hash, used_stems, staging, on_progress
            )
            relabel = self._relabel_existing(existing, candidates, labels, mapping)
            self._commit(pending, relabel, mapping)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        if labels:
            self.report.notes.extend(labels.notes)
        order = {str(c.path): i for i, c in enumerate(candidates)}
        self.report.outcomes.sort(key=lambda o: order.get(o.path, len(order)))
        return self.report

    def _stage(
        self,
        candidates: Sequence[Candidate],
        labels: LabelSet | None,
        mapping: ClassMapping | None,
        by_hash: dict[str, str],
        used_stems: set[str],
        staging: Path,
        on_progress: ProgressCallback | None,
    ) -> list[_Pending]:
        pending: list[_Pending] = []
        batch_hashes: dict[str, str] = {}
        total = len(candidates)
        for done, cand in enumerate(candidates, start=1):
            item = self._stage_one(
                cand, labels, mapping, by_hash, batch_hashes, used_stems, staging
            )
            if item is not None:
                pending.append(item)
            if on_progress:
                on_progress(done, total)
        return pending

    def _stage_one(
        self,
        cand: Candidate,
        labels: LabelSet | None,
        mapping: ClassMapping | None,
        by_hash: dict[str, str],
        batch_hashes: dict[str, str],
        used_stems: set[str],
        staging: Path,
    ) -> _Pending | None:
        shown = str(cand.path)
        staged = staging / uuid.uuid4().hex
        try:
            size = cand.path.stat().st_size
            if self.max_bytes is not None and size > self.max_bytes:
                mib = 1024 * 1024
                self._refuse(
                    shown, f"too large: {size / mib:.1f} MiB > limit {self.max_bytes / mib:.1f} MiB"
                )
                return None
            shutil.copyfile(cand.path, staged)
        except OSError as exc:
            self._refuse(shown, f"cannot read: {exc.strerror or exc}")
            return None
        try:
            info = self.inspect(staged)
        except MediaProblem as exc:
            staged.unlink(missing_ok=True)
            self._refuse(shown, str(exc))
            return None
        if info.sha256 in by_hash:
            staged.unlink()
            where = self.media_dir.name + "/" + by_hash[info.sha256]
            self._add(shown, "duplicate", f"duplicate of {where} already in the dataset")
            return None
        if info.sha256 in batch_hashes:
            staged.unlink()
            self._add(shown, "duplicate", f"duplicate of {batch_hashes[info.sha256]}")
            return None
        boxes: list[Box] | None = None
        if labels is not None and mapping is not None:
            found = labels.lookup(cand.path.name)
            if found is not None:
                boxes, problems = canonical_boxes(found, mapping)
                fields = info.row_fields()
                real = fields.get("width"), fields.get("height")
                if found.declared_size and found.declared_size != real:
                    w, h = found.declared_size
                    problems.append(
                        f"{found.source}: says {w}x{h}, the image is {real[0]}x{real[1]}"
                    )
                if problems:
                    staged.unlink()
                    self._refuse(shown, f"labels have {len(problems)} problem(s)", problems)
                    return None
        batch_hashes[info.sha256] = shown
        filename = self._unique_name(cand.path.name, info, used_stems)
        return _Pending(cand, staged, filename, info, boxes)

    def _unique_name(self, original: str, info: MediaInfo, used_stems: set[str]) -> str:
        stem = safe_stem(original)
        if stem.lower() in used_stems:
            stem = f"{stem}-{info.sha256[:8]}"
        base, n = stem, 1
        while stem.lower() in used_stems or (self.media_dir / (stem + info.extension)).exists():
            n += 1
            stem = f"{base}-{n}"
        used_stems.add(stem.lower())
        return stem + info.extension

    def _relabel_existing(
        self,
        existing: list[DatasetImage],
        candidates: Sequence[Candidate],
        labels: LabelSet | None,
        mapping: ClassMapping | None,
    ) -> dict[int, list[Box]]:
        """Labels for images already in the dataset (matched by their stored name)."""
        if labels is None or mapping is None:
            return {}
        in_batch = {labels.key_for(c.path.name) for c in candidates}
        relabel: dict[int, list[Box]] = {}
        matched: set[str] = set(in_batch)
        for item in existing:
            key = labels.key_for(item.filename)
            found = labels.by_key.get(key)
            if found is None or key in in_batch or item.id is None:
                continue
            matched.add(key)
            boxes, problems = canonical_boxes(found, mapping)
            if found.declared_size and found.declared_size != (item.width, item.height):
                w, h = found.declared_size
                problems.append(
                    f"{found.source}: says {w}x{h}, the image is {item.width}x{item.height}"
                )
            if problems:
                self._refuse(found.source, f"labels not applied to {item.filename}", problems)
                continue
            relabel[item.id] = boxes
            self._add(found.source, "labels", f"{len(boxes)} box(es) applied to {item.filename}")
        for key, found in labels.by_key.items():
            if key not in matched:
                self.report.notes.append(f"{found.source}: no image named {key!r}, labels unused")
        return relabel

    def _commit(
        self, pending: list[_Pending], relabel: dict[int, list[Box]], mapping: ClassMapping | None
    ) -> None:
        if not pending and not relabel and not (mapping and mapping.added):
            return
        moved: list[Path] = []
        try:
            with self.store.db.write() as s:
                ds = s.get(Dataset, self.dataset_id)
                if ds is None:
                    raise DatasetError(f"dataset {self.dataset_id} was deleted during the import")
                if mapping and mapping.added:
                    ds.classes_json = json.dumps(mapping.classes)
                    s.add(ds)
                    self.report.classes_added = list(mapping.added)
                taken = set(
                    s.scalars(
                        select(DatasetImage.sha256).where(
                            col(DatasetImage.dataset_id) == self.dataset_id
                        )
                    )
                )
                rows: list[tuple[_Pending, DatasetImage]] = []
                for p in pending:
                    if p.info.sha256 in taken:  # another import got there first
                        self._add(
                            str(p.candidate.path), "duplicate", "duplicate, imported meanwhile"
                        )
                        continue
                    row = DatasetImage(
                        dataset_id=self.dataset_id,
                        filename=p.filename,
                        path=str(self.media_dir / p.filename),
                        size_bytes=p.info.size_bytes,
                        sha256=p.info.sha256,
                        status="unlabeled" if p.boxes is None else "labeled",
                        split=p.candidate.split,
                        **p.info.row_fields(),
                    )
                    s.add(row)
                    rows.append((p, row))
                s.flush()
                for p, row in rows:
                    assert row.id is not None
                    for b in p.boxes or ():
                        s.add(annotation_row(row.id, b))
                for image_id, boxes in relabel.items():
                    s.execute(delete(Annotation).where(col(Annotation.image_id) == image_id))
                    image = s.get(DatasetImage, image_id)
                    if image is not None:
                        image.status = "labeled"
                        s.add(image)
                    for b in boxes:
                        s.add(annotation_row(image_id, b))
                for p, _row in rows:
                    target = self.media_dir / p.filename
                    if target.exists():
                        raise DatasetError(f"{target} exists but is not in the database")
                    os.replace(p.staged, target)
                    moved.append(target)
                    n = len(p.boxes or ())
                    detail = f"-> {self.media_dir.name}/{p.filename}" + (
                        "" if p.boxes is None else f" ({n} box{'es' if n != 1 else ''})"
                    )
                    self._add(str(p.candidate.path), "imported", detail)
        except BaseException:
            for path in moved:
                path.unlink(missing_ok=True)
            raise

    def _refuse(self, path: str, detail: str, problems: Sequence[str] = ()) -> None:
        self._add(path, "refused", detail, problems)

    def _add(self, path: str, outcome: Outcome, detail: str, problems: Sequence[str] = ()) -> None:
        self.report.outcomes.append(FileOutcome(path, outcome, detail, tuple(problems)))
