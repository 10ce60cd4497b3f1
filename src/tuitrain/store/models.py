"""Tables of the tuitrain database (SQLModel on SQLite).

JSON documents (configs, metrics summaries, progress) are stored as TEXT: SQLite has
no JSON column type and the store never queries inside them.
"""

from __future__ import annotations

import time

from sqlmodel import Field, SQLModel


def now() -> float:
    return time.time()


class Project(SQLModel, table=True):
    __tablename__ = "projects"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    description: str = ""
    created_at: float = Field(default_factory=now)


class Dataset(SQLModel, table=True):
    __tablename__ = "datasets"
    id: int | None = Field(default=None, primary_key=True)
    project_id: int | None = Field(default=None, foreign_key="projects.id", index=True)
    name: str = Field(index=True)
    task: str = "detection"  # detection | audio
    classes_json: str = "[]"
    path: str = ""
    source: str = "local"  # local | roboflow
    created_at: float = Field(default_factory=now)


class DatasetImage(SQLModel, table=True):
    __tablename__ = "dataset_images"
    id: int | None = Field(default=None, primary_key=True)
    dataset_id: int = Field(foreign_key="datasets.id", index=True)
    filename: str
    path: str
    width: int | None = None
    height: int | None = None
    size_bytes: int = 0
    sha256: str = Field(default="", index=True)
    status: str = "unlabeled"  # unlabeled | labeled | reviewed
    split: str | None = None  # train | val | test
    created_at: float = Field(default_factory=now)
    # Audio datasets keep their files in this table too (width and height stay None).
    sample_rate: int | None = None
    channels: int | None = None
    duration_s: float | None = None


class Annotation(SQLModel, table=True):
    __tablename__ = "annotations"
    id: int | None = Field(default=None, primary_key=True)
    image_id: int = Field(foreign_key="dataset_images.id", index=True)
    class_id: int
    # YOLO convention: centre and size, normalised to [0, 1].
    x_center: float
    y_center: float
    width: float
    height: float
    created_at: float = Field(default_factory=now)


class TrainedModel(SQLModel, table=True):
    __tablename__ = "models"
    id: int | None = Field(default=None, primary_key=True)
    experiment_id: int | None = Field(default=None, foreign_key="experiments.id", index=True)
    name: str
    framework: str
    path: str
    metrics_json: str = "{}"
    created_at: float = Field(default_factory=now)


class Experiment(SQLModel, table=True):
    __tablename__ = "experiments"
    id: int | None = Field(default=None, primary_key=True)
    project_id: int | None = Field(default=None, foreign_key="projects.id", index=True)
    name: str
    dataset_id: int | None = Field(default=None, foreign_key="datasets.id")
    framework: str = "custom"
    config_json: str = "{}"
    status: str = Field(default="PENDING", index=True)
    host: str = "local"
    # What identifies the process: pid alone is reused, so also its start time (clock
    # ticks since boot) and the boot id of the machine it runs on.
    pid: int | None = None
    pgid: int | None = None
    process_start: str | None = None
    boot_id: str | None = None
    run_dir: str = ""
    created_at: float = Field(default_factory=now)
    started_at: float | None = None
    completed_at: float | None = None
    exit_code: int | None = None
    error_summary: str | None = None
    summary_metrics_json: str = "{}"
    progress_json: str = "{}"
    stop_requested: bool = False
    restarted_from: int | None = None
    # The GPUs a queued run was given on its host ("2,3": nvidia-smi indices, what
    # CUDA_VISIBLE_DEVICES gets), and while QUEUED, why it still waits.
    gpu_ids: str | None = None
    queue_reason: str | None = None


class StatusTransition(SQLModel, table=True):
    __tablename__ = "status_transitions"
    id: int | None = Field(default=None, primary_key=True)
    experiment_id: int = Field(foreign_key="experiments.id", index=True)
    from_status: str | None = None
    to_status: str
    at: float = Field(default_factory=now)
    reason: str = ""


class Metric(SQLModel, table=True):
    """Narrow metric table: one row per scalar, indexed for charting one series."""

    __tablename__ = "metrics"
    id: int | None = Field(default=None, primary_key=True)
    experiment_id: int = Field(foreign_key="experiments.id")
    name: str
    step: int | None = None
    epoch: int | None = None
    value: float | None  # NULL stands for NaN (a diverging loss), which SQLite cannot hold
    wall_time: float = Field(default_factory=now)
    source: str = ""


class IngestCursor(SQLModel, table=True):
    """How far a metric source of a run has been read; updated in the same
    transaction as the metrics it produced (that is what makes ingestion exactly once)."""

    __tablename__ = "ingest_cursors"
    experiment_id: int = Field(foreign_key="experiments.id", primary_key=True)
    source: str = Field(primary_key=True)  # e.g. "log", "jsonl", "tfevents:<file>"
    version: int = 0
    state_json: str = "{}"
    updated_at: float = Field(default_factory=now)
