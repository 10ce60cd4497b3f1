"""One line of the dataset list: what the CLI's ``ls`` and the TUI's table show."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

from tuitrain.datasets.store import STATUSES
from tuitrain.store.models import Dataset


@dataclass(frozen=True, slots=True)
class DatasetSummary:
    id: int
    name: str
    task: str
    classes: list[str]
    source: str
    path: str
    items: int
    labeled: int
    unlabeled: int
    reviewed: int
    created_at: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def dataset_summary(ds: Dataset, counts: dict[str, int]) -> DatasetSummary:
    assert ds.id is not None
    by_status = {s: counts.get(s, 0) for s in STATUSES}
    return DatasetSummary(
        id=ds.id,
        name=ds.name,
        task=ds.task,
        classes=json.loads(ds.classes_json or "[]"),
        source=ds.source,
        path=ds.path,
        items=sum(by_status.values()),
        labeled=by_status["labeled"] + by_status["reviewed"],
        unlabeled=by_status["unlabeled"],
        reviewed=by_status["reviewed"],
        created_at=ds.created_at,
    )
