"""How one experiment reads as a row of the experiments table: its cells, its key
metric, and the filters that keep or hide it.

Plain data and functions over the engine's records (no widgets), so other screens can
reuse them. ``now`` is the table's clock: tests patch it for stable snapshots.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.style import Style
from rich.text import Text

from tuitrain.metrics import Progress
from tuitrain.runs.states import RunStatus

if TYPE_CHECKING:
    from tuitrain.runs.manager import TrainingManager
    from tuitrain.store.models import Experiment

# tuitrain.runs.view (and through it the store and SQLAlchemy) is imported inside the
# functions: this module loads before the first frame, the database after it.


def now() -> float:
    """The clock for ETA, duration and "started" texts (patched by tests)."""
    return time.time()


# The metric that says how a run is doing, best first, per framework.
KEY_METRICS: dict[str, tuple[str, ...]] = {
    "yolo": ("metrics/mAP50-95(B)", "metrics/mAP50(B)", "val/box_loss", "train/box_loss"),
    "detr": ("val_loss", "val/loss", "map", "train_loss"),
    "rave": ("validation", "fidelity", "total_loss", "loss"),
}
FALLBACK_METRICS = ("val_loss", "val/loss", "validation", "loss", "train/loss", "train_loss")

# The status filter's cycle: label and the statuses it keeps (None: all).
STATUS_FILTERS: tuple[tuple[str, frozenset[RunStatus] | None], ...] = (
    ("all", None),
    (
        "active",
        frozenset({RunStatus.PENDING, RunStatus.QUEUED, RunStatus.STARTING, RunStatus.RUNNING}),
    ),
    ("completed", frozenset({RunStatus.COMPLETED})),
    ("failed", frozenset({RunStatus.FAILED, RunStatus.LOST})),
    ("stopped", frozenset({RunStatus.STOPPED})),
)
NO_PROJECT = 0  # the project filter value for runs outside any project (ids start at 1)

# Theme variable that colours each status (see tuitrain.tcss for the same mapping).
STATUS_COLOURS: dict[str, str] = {
    "RUNNING": "primary-lighten-3",
    "STARTING": "primary-lighten-3",
    "COMPLETED": "success",
    "FAILED": "error",
    "STOPPED": "warning",
    "LOST": "error",
    "PENDING": "muted",
    "QUEUED": "muted",
}


@dataclass(slots=True)
class RunRow:
    """An experiment as the table shows it: its record plus what live events added."""

    exp: Experiment
    progress: Progress | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    marked: bool = False
    # What a run that has not started yet is doing ("syncing dataset ... 12/49 files").
    starting_note: str = ""

    @property
    def note(self) -> str:
        """Why the run is not running yet: its place in the GPU queue, or its launch."""
        if self.status is RunStatus.QUEUED:
            return self.exp.queue_reason or "waiting for GPUs"
        if self.status is RunStatus.STARTING:
            return self.starting_note
        return ""

    @classmethod
    def of(cls, exp: Experiment, metrics: dict[str, float] | None = None) -> RunRow:
        from tuitrain.runs.view import progress_of

        if metrics is None:
            try:
                metrics = {k: float(v) for k, v in json.loads(exp.summary_metrics_json).items()}
            except (ValueError, TypeError, AttributeError):
                metrics = {}
        return cls(exp, progress_of(exp), metrics)

    @property
    def id(self) -> int:
        assert self.exp.id is not None
        return self.exp.id

    @property
    def status(self) -> RunStatus:
        try:
            return RunStatus(self.exp.status)
        except ValueError:
            return RunStatus.LOST

    def replace_record(self, exp: Experiment) -> None:
        """A fresher record of the same run (after a status change)."""
        from tuitrain.runs.view import progress_of

        self.exp = exp
        stored = progress_of(exp)
        if stored is not None:
            self.progress = stored
        try:
            summary = json.loads(exp.summary_metrics_json or "{}")
        except ValueError:
            summary = {}
        self.metrics.update({k: float(v) for k, v in summary.items() if v is not None})


@dataclass(frozen=True, slots=True)
class RunFilter:
    """What the table keeps: text in the name/framework/host/status, a status group,
    a project (None: all; ``NO_PROJECT``: runs in none)."""

    text: str = ""
    status_index: int = 0
    project: int | None = None

    @property
    def status_label(self) -> str:
        return STATUS_FILTERS[self.status_index][0]

    def keeps(self, row: RunRow) -> bool:
        statuses = STATUS_FILTERS[self.status_index][1]
        if statuses is not None and row.status not in statuses:
            return False
        if self.project is not None and (row.exp.project_id or NO_PROJECT) != self.project:
            return False
        if self.text:
            exp = row.exp
            haystack = f"{exp.id} {exp.name} {exp.framework} {exp.host} {exp.status}".lower()
            return all(word in haystack for word in self.text.lower().split())
        return True


def key_metric(framework: str, metrics: dict[str, float]) -> tuple[str, float] | None:
    """The metric worth a column: the framework's headline one, else a loss, else any."""
    if not metrics:
        return None
    for name in (*KEY_METRICS.get(framework, ()), *FALLBACK_METRICS):
        if name in metrics:
            return name, metrics[name]
    for name, value in metrics.items():
        if not name.startswith(("lr", "final/")):
            return name, value
    return None


def short_metric_name(name: str) -> str:
    for prefix in ("metrics/", "final/"):
        name = name.removeprefix(prefix)
    return name.removesuffix("(B)")


def format_value(value: float) -> str:
    if math.isnan(value):
        return "nan"
    return f"{value:.4g}" if abs(value) < 1e5 else f"{value:.3g}"


def compact_count(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.3g}M"
    if n >= 10_000:
        return f"{n / 1000:.3g}k"
    return str(n)


def epoch_or_step(progress: Progress | None) -> str:
    """ "ep 3/100" while epochs are known, else the global step, "st 12k/500k"."""
    if progress is None:
        return "-"
    if progress.epoch is not None:
        return f"ep {progress.epoch}/{progress.total_epochs or '?'}"
    if progress.step is not None:
        total = compact_count(progress.total_steps) if progress.total_steps else "?"
        return f"st {compact_count(progress.step)}/{total}"
    return "-"


def progress_bar(row: RunRow, width: int, colour: Style, empty: Style) -> Text:
    """A bar of ``width`` cells ending in the percentage, e.g. "━━━━╺━━ 57%"."""
    from tuitrain.runs.view import fraction_done

    fraction = fraction_done(row.exp, row.progress)
    if fraction is None:  # no total known: at least where it is ("st 1200/?")
        return Text(epoch_or_step(row.progress), style=empty)
    label = f"{fraction * 100:3.0f}%"
    cells = max(1, width - len(label) - 1)
    done = fraction * cells
    full = int(done)
    text = Text("━" * full, style=colour)
    if full < cells:
        text.append(
            "╸" if done - full >= 0.5 else "╺", style=colour if done - full >= 0.5 else empty
        )
        text.append("━" * (cells - full - 1), style=empty)
    text.append(" " + label)
    return text


def started_text(at: float | None) -> str:
    """ "14:03" today, "03-12 14:03" before (local time)."""
    if at is None:
        return "-"
    started = time.localtime(at)
    today = time.localtime(now())
    if started[:3] == today[:3]:
        return time.strftime("%H:%M", started)
    return time.strftime("%m-%d %H:%M", started)


def eta_text(row: RunRow) -> str:
    from tuitrain.runs.view import eta_seconds, format_seconds

    if not row.status.is_active:
        return "-"
    return format_seconds(eta_seconds(row.exp, row.progress, at=now()))


def duration_text(row: RunRow) -> str:
    from tuitrain.runs.view import duration_seconds, format_seconds

    return format_seconds(duration_seconds(row.exp, at=now()))


def queue_places(rows: Iterable[RunRow]) -> dict[int, int]:
    """Run id -> place in the GPU queue (1 = next): QUEUED runs, oldest first."""
    queued = sorted(r.id for r in rows if r.status is RunStatus.QUEUED)
    return {rid: place for place, rid in enumerate(queued, start=1)}


def metric_text(row: RunRow, width: int = 40) -> str:
    """ "mAP50-95 0.523": the name is shortened to fit, never the value."""
    found = key_metric(row.exp.framework, row.metrics)
    if found is None:
        return "-"
    name, value = found
    shown = format_value(value)
    room = width - len(shown) - 1
    name = short_metric_name(name)
    if len(name) > room:
        name = name[: max(0, room - 1)] + "…"
    return f"{name} {shown}".strip()


@dataclass(slots=True)
class RunsSnapshot:
    """Everything the table needs from the database, read in one go (in a thread)."""

    records: list[Experiment]
    metrics: dict[int, dict[str, float]]
    projects: dict[int, str]


def read_runs(manager: TrainingManager, known: frozenset[int] = frozenset()) -> RunsSnapshot:
    """Every experiment; the last metrics of active runs the table does not know yet
    (finished runs carry theirs in ``summary_metrics_json``); the project names."""
    from sqlmodel import select

    from tuitrain.store.models import Project

    records = manager.list_experiments()
    metrics: dict[int, dict[str, float]] = {}
    for exp in records:
        if exp.id is not None and exp.id not in known and RunStatus(exp.status).is_active:
            metrics[exp.id] = manager.store.last_metrics(exp.id)
    with manager.store.db.read() as session:
        projects = {p.id: p.name for p in session.scalars(select(Project)) if p.id is not None}
    return RunsSnapshot(records, metrics, projects)


def read_records(manager: TrainingManager, ids: set[int]) -> list[Experiment]:
    """Fresh records of ``ids`` (those deleted meanwhile are left out)."""
    from tuitrain.store.experiments import UnknownExperiment

    found: list[Experiment] = []
    for rid in sorted(ids):
        try:
            found.append(manager.get_experiment(rid))
        except UnknownExperiment:
            continue
    return found
