"""Building the engine from ``TUITRAIN_HOME``: shared by the CLI, the TUI and tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tuitrain.paths import database_path, runs_dir, tuitrain_home
from tuitrain.runs.manager import TrainingManager
from tuitrain.store.db import Database


def make_manager(home: Path | None = None, **options: Any) -> TrainingManager:
    """The manager of ``home``, with an executor per host of its config.toml (an
    unusable config.toml raises ``SettingsError``, a ``ValueError``, naming the key)."""
    home = home or tuitrain_home()
    if "executors" not in options:
        from tuitrain.hosts import build_executors

        options["executors"] = build_executors(home)
    if "queue_worker" not in options:  # queued runs start even when no tuitrain is open
        from tuitrain.runs.queue_worker import QueueWorkerStarter

        options["queue_worker"] = QueueWorkerStarter(home)
    return TrainingManager(Database(database_path(home)), runs_dir(home), **options)
