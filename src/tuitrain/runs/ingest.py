"""Catching up on a run folder: every source read from its saved position, its
metrics and new position committed together (exactly once, across processes)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tuitrain.executors.base import METRICS_JSONL, OUTPUT_LOG, Executor
from tuitrain.executors.local import LocalExecutor
from tuitrain.metrics import MetricPoint, Progress
from tuitrain.sources.base import MetricSource
from tuitrain.store.experiments import ExperimentStore
from tuitrain.store.models import Experiment

# Files the frameworks write, found anywhere under the run folder.
FRAMEWORK_FILES: tuple[tuple[str, str], ...] = (
    ("results_csv", "**/results.csv"),
    ("lightning_csv", "**/metrics.csv"),
    ("tfevents", "**/events.out.tfevents.*"),
)
MAX_POLLS_PER_SOURCE = 64  # per catch-up, so one huge backlog cannot starve the others


@dataclass(slots=True)
class CatchUp:
    """What one catch-up brought in, for listeners."""

    metrics: list[MetricPoint] = field(default_factory=list)
    progress: Progress | None = None
    lines: list[str] = field(default_factory=list)
    lines_dropped: int = 0
    pending: bool = False  # more bytes are waiting (the poll limit was reached)
    # Another tuitrain process ingested part of this run since we last looked: what it
    # took in is in the store but was not in any of our events.
    external: bool = False


def _make_source(kind: str, config: dict[str, Any]) -> MetricSource:
    # Imported here: parsers and readers are only needed once a run is followed.
    if kind == "log":
        from tuitrain.parsers import make_parser
        from tuitrain.sources.console import ConsoleLogSource

        max_steps = (config.get("params") or {}).get("max_steps")
        parser = make_parser(
            str(config.get("parser", "auto")),
            config.get("patterns") or None,
            max_steps=max_steps if isinstance(max_steps, int) else None,
        )
        return ConsoleLogSource(parser)
    if kind == "jsonl":
        from tuitrain.sources.jsonl import JsonlMetricsSource

        return JsonlMetricsSource()
    if kind == "results_csv":
        from tuitrain.sources.ultralytics_csv import UltralyticsResultsSource

        return UltralyticsResultsSource()
    if kind == "lightning_csv":
        from tuitrain.sources.lightning_csv import LightningCsvSource

        return LightningCsvSource()
    if kind == "tfevents":
        from tuitrain.sources.tensorboard import TensorBoardEventSource

        return TensorBoardEventSource()
    raise ValueError(f"unknown metric source {kind!r}")


class RunIngester:
    """Follows one run's folder. Holds no state of its own between calls beyond a
    cache of source objects: the truth is the cursor saved in the database."""

    def __init__(self, store: ExperimentStore, executor: Executor, experiment: Experiment) -> None:
        assert experiment.id is not None
        self.store = store
        self.executor = executor
        self.experiment_id = experiment.id
        self.run_dir = experiment.run_dir
        self.config: dict[str, Any] = json.loads(experiment.config_json or "{}")
        self._versions: dict[str, int] = {}  # cursor versions as this ingester left them
        self.log_path = executor.output_log(self.experiment_id, self.run_dir)
        self.log_mirrored = self.log_path != os.path.join(self.run_dir, OUTPUT_LOG)
        self._local = LocalExecutor()

    def _files(self) -> list[tuple[str, str, str]]:
        """(cursor key, source kind, path) of every source present now. The log is
        read from :meth:`Executor.output_log` (a local copy for remote hosts)."""
        found = [("log", "log", self.log_path)]
        jsonl = os.path.join(self.run_dir, METRICS_JSONL)
        if self.executor.file_size(jsonl) is not None:
            found.append(("jsonl", "jsonl", jsonl))
        for kind, pattern in FRAMEWORK_FILES:
            for path in self.executor.list_files(self.run_dir, pattern):
                rel = os.path.relpath(path, self.run_dir)
                found.append((f"{kind}:{rel}", kind, path))
        return found

    def catch_up(self, eof: bool = False) -> CatchUp:
        """Ingest everything new. ``eof``: the process has ended, flush partial lines."""
        out = CatchUp()
        self.executor.mirror_output(self.experiment_id, self.run_dir)
        for key, kind, path in self._files():
            self._catch_up_source(key, kind, path, eof, out)
        return out

    def _catch_up_source(self, key: str, kind: str, path: str, eof: bool, out: CatchUp) -> None:
        files = self._local if kind == "log" and self.log_mirrored else self.executor
        read_at: Callable[[int, int], bytes] = lambda off, n: files.read_at(path, off, n)  # noqa: E731
        for _ in range(MAX_POLLS_PER_SOURCE):
            size = files.file_size(path)
            if size is None:
                return
            version, state = self.store.cursor(self.experiment_id, key)
            if self._versions.setdefault(key, version) != version:
                out.external = True
                self._versions[key] = version
            source = _make_source(kind, self.config)
            if state:
                source.restore(state)
            before = json.dumps(source.state(), sort_keys=True)
            batch = source.poll(read_at, size, eof)
            new_state = source.state()
            if json.dumps(new_state, sort_keys=True) == before:
                return  # nothing consumed
            committed = self.store.commit_batch(
                self.experiment_id, key, version, new_state, batch.metrics, batch.progress
            )
            if not committed:
                continue  # another process took these bytes; re-read its cursor
            self._versions[key] = version + 1
            out.metrics.extend(batch.metrics)
            out.lines.extend(batch.lines)
            out.lines_dropped += batch.lines_dropped
            if batch.progress is not None:
                out.progress = batch.progress
            if not batch.more:
                return
        out.pending = True
