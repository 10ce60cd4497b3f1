"""The SQLite store: WAL, schema versions, concurrent writers."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tuitrain.metrics import MetricPoint
from tuitrain.runs.states import InvalidTransition, RunStatus
from tuitrain.store.db import SCHEMA_VERSION, Database, StoreError
from tuitrain.store.experiments import ExperimentStore

SRC = str(Path(__file__).resolve().parents[2] / "src")


def test_new_database_is_wal_and_versioned(tmp_path: Path) -> None:
    db = Database(tmp_path / "t.db")
    assert db.schema_version() == SCHEMA_VERSION
    conn = sqlite3.connect(tmp_path / "t.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {
        "projects",
        "datasets",
        "dataset_images",
        "annotations",
        "models",
        "experiments",
        "metrics",
        "status_transitions",
        "ingest_cursors",
    } <= names
    indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert "ix_metrics_series" in indexes


def test_older_database_opens_without_losing_data(tmp_path: Path) -> None:
    """A file from an earlier schema (experiments without some later columns) keeps
    every row and gains the new columns."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.executescript(
        """
        CREATE TABLE experiments (id INTEGER PRIMARY KEY, name VARCHAR NOT NULL,
            framework VARCHAR NOT NULL, config_json VARCHAR NOT NULL, status VARCHAR NOT NULL,
            host VARCHAR NOT NULL, run_dir VARCHAR NOT NULL, created_at FLOAT NOT NULL,
            summary_metrics_json VARCHAR NOT NULL, progress_json VARCHAR NOT NULL);
        INSERT INTO experiments VALUES (1, 'old run', 'yolo', '{"epochs": 3}', 'COMPLETED',
            'local', '/tmp/x', 1700000000.0, '{"map": 0.5}', '{}');
        CREATE TABLE metrics (id INTEGER PRIMARY KEY, experiment_id INTEGER NOT NULL,
            name VARCHAR NOT NULL, step INTEGER, epoch INTEGER, value FLOAT NOT NULL,
            wall_time FLOAT NOT NULL);
        INSERT INTO metrics VALUES (1, 1, 'loss', 1, 1, 0.25, 1700000001.0);
        PRAGMA user_version=1;
        """
    )
    conn.close()
    store = ExperimentStore(Database(path))
    exp = store.get(1)
    assert (exp.name, exp.framework, exp.status, exp.config_json) == (
        "old run",
        "yolo",
        "COMPLETED",
        '{"epochs": 3}',
    )
    assert exp.stop_requested is False and exp.pid is None
    rows = store.metrics(1)
    assert [(r.name, r.step, r.value, r.source) for r in rows] == [("loss", 1, 0.25, "")]


def test_newer_database_is_refused_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    Database(path).dispose()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="newer tuitrain"):
        Database(path)


def test_transitions_are_persisted_and_checked(tmp_path: Path) -> None:
    store = ExperimentStore(Database(tmp_path / "t.db"))
    exp = store.create(name="a")
    assert exp.id is not None
    store.transition(exp.id, RunStatus.STARTING)
    store.transition(exp.id, RunStatus.RUNNING)
    assert store.transition(exp.id, RunStatus.FAILED, expect=(RunStatus.STARTING,)) is None
    store.transition(exp.id, RunStatus.COMPLETED, "done")
    with pytest.raises(InvalidTransition):
        store.transition(exp.id, RunStatus.RUNNING)
    seen = [(t.from_status, t.to_status) for t in store.transitions(exp.id)]
    assert seen == [
        (None, "PENDING"),
        ("PENDING", "STARTING"),
        ("STARTING", "RUNNING"),
        ("RUNNING", "COMPLETED"),
    ]
    times = [t.at for t in store.transitions(exp.id)]
    assert times == sorted(times)


WRITER = """
import sys
sys.path.insert(0, {src!r})
from pathlib import Path
from tuitrain.metrics import MetricPoint
from tuitrain.store.db import Database
from tuitrain.store.experiments import ExperimentStore
store = ExperimentStore(Database(Path({path!r})))
for i in range(150):
    version, _ = store.cursor(1, "w{n}")
    assert store.commit_batch(1, "w{n}", version, {{"i": i}}, [MetricPoint("m{n}", float(i), i)], None)
    store.list_all()
print("ok")
"""


def test_two_processes_writing_never_see_database_is_locked(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    store = ExperimentStore(Database(path))
    store.create(name="shared")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER.format(src=SRC, path=str(path), n=n)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(3)
    ]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "locked" not in err
        assert out.strip() == "ok"
    assert store.metric_count(1) == 450


def test_commit_batch_is_compare_and_set(tmp_path: Path) -> None:
    store = ExperimentStore(Database(tmp_path / "t.db"))
    store.create(name="a")
    assert store.commit_batch(1, "log", 0, {"offset": 10}, [MetricPoint("x", 1.0, 1)], None)
    # A second process that read the cursor at version 0 loses: nothing is written twice.
    assert not store.commit_batch(1, "log", 0, {"offset": 10}, [MetricPoint("x", 1.0, 1)], None)
    assert store.metric_count(1) == 1
    assert store.cursor(1, "log") == (1, {"offset": 10})


def test_nan_values_are_kept_and_do_not_block_ingestion(tmp_path: Path) -> None:
    import math

    store = ExperimentStore(Database(tmp_path / "t.db"))
    store.create(name="diverged")
    points = [
        MetricPoint("loss", 0.5, 1),
        MetricPoint("loss", math.nan, 2),
        MetricPoint("loss", math.inf, 3),
    ]
    assert store.commit_batch(1, "log", 0, {"offset": 1}, points, None)
    values = [r.value for r in store.metrics(1, "loss")]
    assert values[0] == 0.5 and math.isnan(values[1]) and values[2] == math.inf
