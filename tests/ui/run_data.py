"""Runs with fixed configs, curves and times for the run detail, log and compare tests.

Written through the real store (as ingestion would), with nothing that depends on the
machine (no paths in configs) or the time of day, so snapshots are stable anywhere.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from tests.ui.conftest import FIXED_NOW, HOUR
from tuitrain.engine import make_manager
from tuitrain.executors.base import OUTPUT_LOG
from tuitrain.metrics import MetricPoint, Progress
from tuitrain.runs.states import RunStatus
from tuitrain.store.experiments import ExperimentStore

EPOCHS = 30


def curves(scale: float, lr0: float, epochs: int = EPOCHS) -> dict[str, list[float]]:
    """Losses that fall (with a little deterministic noise) and a cosine learning rate."""
    out: dict[str, list[float]] = {}
    for kind, offset in (("box", 0.0), ("cls", 0.4)):
        out[f"train/{kind}_loss"] = [
            scale * (1.6 + offset) * 0.92**e + 0.05 * math.sin(3 * e) for e in range(epochs)
        ]
        out[f"val/{kind}_loss"] = [
            scale * (1.8 + offset) * 0.94**e + 0.2 + 0.04 * math.cos(2 * e) for e in range(epochs)
        ]
    out["lr/pg0"] = [lr0 * 0.5 * (1 + math.cos(math.pi * e / epochs)) for e in range(epochs)]
    out["metrics/mAP50-95(B)"] = [0.6 * (1 - 0.9**e) for e in range(epochs)]
    return out


def add_run(
    store: ExperimentStore,
    runs_root: Path,
    *,
    name: str,
    config: dict[str, Any],
    status: RunStatus,
    metrics: dict[str, list[float]],
    started: float,
    minutes: float,
    exit_code: int | None,
    error: str | None = None,
    output: str = "",
    progress: Progress | None = None,
) -> int:
    exp = store.create(
        name=name,
        framework=config["framework"],
        host="local",
        config_json=json.dumps(config),
        created_at=started - 2,
    )
    assert exp.id is not None
    run_dir = runs_root / str(exp.id)
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / OUTPUT_LOG).write_text(output)
    store.transition(exp.id, RunStatus.STARTING, "seeded", run_dir=str(run_dir))
    store.transition(exp.id, RunStatus.RUNNING, "seeded", started_at=started)
    epochs = len(next(iter(metrics.values()), []))
    points = [
        MetricPoint(metric, value, None, e + 1, started + 60 * (e + 1))
        for e in range(epochs)
        for metric, values in metrics.items()
        for value in values[e : e + 1]
    ]
    progress = progress or Progress(epochs, epochs, 250, 250)
    store.commit_batch(exp.id, "jsonl", 0, {}, points, progress)
    last = {metric: values[-1] for metric, values in metrics.items() if values}
    store.transition(
        exp.id,
        status,
        "seeded",
        exit_code=exit_code,
        completed_at=started + 60 * minutes,
        error_summary=error,
        summary_metrics_json=json.dumps(last),
    )
    return exp.id


def yolo_config(name: str, lr0: float, batch: int) -> dict[str, Any]:
    return {
        "name": name,
        "framework": "yolo",
        "host": "local",
        "parser": "ultralytics",
        "command": ["yolo", "detect", "train", "model=yolo11n.pt", f"lr0={lr0}", f"batch={batch}"],
        "params": {
            "model": "yolo11n.pt",
            "epochs": EPOCHS,
            "imgsz": 640,
            "batch": batch,
            "lr0": lr0,
        },
        "env": {},
    }


CRASH = "RuntimeError: cannot reshape tensor of 0 elements into shape [1, 0, -1] (exit code 1)"


def seed_detail_home(home: Path) -> dict[str, int]:
    """Three finished runs: ``yolo-base`` and ``yolo-fast`` (COMPLETED, 30 epochs of
    losses, mAP and learning rate; lr0 and batch differ) and ``rave-crash`` (FAILED
    after 3 epochs, with an error summary)."""
    manager = make_manager(home)
    store = manager.store
    log = "".join(f"epoch {e + 1}/{EPOCHS} box_loss {1.6 * 0.92**e:.3f}\n" for e in range(EPOCHS))
    try:
        ids = {
            "yolo-base": add_run(
                store,
                manager.runs_root,
                name="yolo-base",
                config=yolo_config("yolo-base", 0.01, 16),
                status=RunStatus.COMPLETED,
                metrics=curves(1.0, 0.01),
                started=FIXED_NOW - 5 * HOUR,
                minutes=75,
                exit_code=0,
                output=log,
            ),
            "yolo-fast": add_run(
                store,
                manager.runs_root,
                name="yolo-fast",
                config=yolo_config("yolo-fast", 0.02, 32),
                status=RunStatus.COMPLETED,
                metrics=curves(1.3, 0.02),
                started=FIXED_NOW - 3 * HOUR,
                minutes=52,
                exit_code=0,
            ),
        }
        rave = {
            "name": "rave-crash",
            "framework": "rave",
            "host": "local",
            "command": ["rave", "train", "--config", "v2_small", "--channels", "0"],
            "params": {"config": "v2_small", "channels": 0, "max_steps": 3000},
            "env": {},
        }
        losses = {"total_loss": [9.5, 7.25, 6.0]}
        ids["rave-crash"] = add_run(
            store,
            manager.runs_root,
            name="rave-crash",
            config=rave,
            status=RunStatus.FAILED,
            metrics=losses,
            started=FIXED_NOW - HOUR,
            minutes=3,
            exit_code=1,
            error=CRASH,
            progress=Progress(step=1200, total_steps=3000),
            output="Traceback (most recent call last):\n" + CRASH + "\n",
        )
    finally:
        manager.store.db.dispose()
    return ids
