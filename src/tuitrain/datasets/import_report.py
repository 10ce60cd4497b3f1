"""What an import takes in and reports: candidate files, what an inspector says about
one, and the per-file outcome."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

ProgressCallback = Callable[[int, int], None]
Outcome = Literal["imported", "duplicate", "refused", "labels"]


class MediaInfo(Protocol):
    @property
    def sha256(self) -> str: ...
    @property
    def size_bytes(self) -> int: ...
    @property
    def extension(self) -> str: ...
    def row_fields(self) -> dict[str, Any]: ...


Inspector = Callable[[Path], MediaInfo]


@dataclass(frozen=True, slots=True)
class FileOutcome:
    path: str
    outcome: Outcome
    detail: str
    problems: tuple[str, ...] = ()


@dataclass(slots=True)
class ImportReport:
    dataset_id: int
    outcomes: list[FileOutcome] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    classes_added: list[str] = field(default_factory=list)

    def count(self, outcome: Outcome) -> int:
        return sum(1 for o in self.outcomes if o.outcome == outcome)

    @property
    def ok(self) -> bool:
        """True when nothing was refused (duplicates are not a problem)."""
        return self.count("refused") == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset_id": self.dataset_id,
            "imported": self.count("imported"),
            "duplicates": self.count("duplicate"),
            "refused": self.count("refused"),
            "labels_applied": self.count("labels"),
            "classes_added": self.classes_added,
            "files": [
                {
                    "path": o.path,
                    "outcome": o.outcome,
                    "detail": o.detail,
                    "problems": list(o.problems),
                }
                for o in self.outcomes
            ],
            "notes": self.notes,
        }


@dataclass(frozen=True, slots=True)
class Candidate:
    path: Path
    split: str | None = None
