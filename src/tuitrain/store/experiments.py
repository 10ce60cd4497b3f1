"""Reads and writes of experiments, their state transitions and metrics.

The single door through which runs touch the database. Every state change is a
compare-and-set inside a write transaction, so two tuitrain processes that reconcile
the same run agree on one outcome.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert
from sqlalchemy import select as select_columns
from sqlmodel import col, select

from tuitrain.metrics import MetricPoint, Progress
from tuitrain.runs.states import RunStatus, check_transition
from tuitrain.store.db import Database
from tuitrain.store.models import (
    Experiment,
    IngestCursor,
    Metric,
    StatusTransition,
    TrainedModel,
    now,
)

# Lower is more reliable: the runner's own JSON lines, then files the frameworks
# write, then what the console showed.
SOURCE_RANK = {"api": 0, "jsonl": 0, "results_csv": 1, "lightning_csv": 1, "tfevents": 1, "log": 2}


def source_rank(source: str) -> int:
    return SOURCE_RANK.get(source.split(":", 1)[0], 3)


class UnknownExperiment(LookupError):
    def __init__(self, experiment_id: int) -> None:
        super().__init__(f"no experiment with id {experiment_id}")
        self.experiment_id = experiment_id


@dataclass(frozen=True, slots=True)
class MetricRow:
    name: str
    step: int | None
    epoch: int | None
    value: float
    wall_time: float
    source: str


class ExperimentStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # -- experiments -----------------------------------------------------------------
    def create(self, **fields: Any) -> Experiment:
        with self.db.write() as s:
            exp = Experiment(**fields)
            s.add(exp)
            s.flush()
            assert exp.id is not None
            s.add(StatusTransition(experiment_id=exp.id, to_status=exp.status, reason="created"))
            return exp

    def get(self, experiment_id: int) -> Experiment:
        with self.db.read() as s:
            exp = s.get(Experiment, experiment_id)
            if exp is None:
                raise UnknownExperiment(experiment_id)
            return exp

    def list_all(self, project_id: int | None = None) -> list[Experiment]:
        with self.db.read() as s:
            query = select(Experiment).order_by(col(Experiment.id))
            if project_id is not None:
                query = query.where(col(Experiment.project_id) == project_id)
            return list(s.scalars(query))

    def list_in(self, statuses: Iterable[RunStatus]) -> list[Experiment]:
        wanted = [str(s) for s in statuses]
        with self.db.read() as s:
            query = select(Experiment).where(col(Experiment.status).in_(wanted))
            return list(s.scalars(query))

    def update(self, experiment_id: int, **fields: Any) -> Experiment:
        with self.db.write() as s:
            exp = s.get(Experiment, experiment_id)
            if exp is None:
                raise UnknownExperiment(experiment_id)
            for key, value in fields.items():
                setattr(exp, key, value)
            return exp

    def transition(
        self,
        experiment_id: int,
        new: RunStatus,
        reason: str = "",
        expect: Sequence[RunStatus] | None = None,
        **fields: Any,
    ) -> Experiment | None:
        """Move to ``new`` and persist the transition with its time.

        With ``expect``, only when the current status is one of them (compare-and-set);
        returns None when another process got there first.
        """
        with self.db.write() as s:
            exp = s.get(Experiment, experiment_id)
            if exp is None:
                raise UnknownExperiment(experiment_id)
            current = RunStatus(exp.status)
            if expect is not None and current not in expect:
                return None
            check_transition(current, new)
            at = now()
            exp.status = str(new)
            for key, value in fields.items():
                setattr(exp, key, value)
            s.add(
                StatusTransition(
                    experiment_id=experiment_id,
                    from_status=str(current),
                    to_status=str(new),
                    at=at,
                    reason=reason,
                )
            )
            return exp

    def transitions(self, experiment_id: int) -> list[StatusTransition]:
        with self.db.read() as s:
            query = (
                select(StatusTransition)
                .where(col(StatusTransition.experiment_id) == experiment_id)
                .order_by(col(StatusTransition.id))
            )
            return list(s.scalars(query))

    def delete(self, experiment_id: int) -> None:
        with self.db.write() as s:
            exp = s.get(Experiment, experiment_id)
            if exp is None:
                raise UnknownExperiment(experiment_id)
            if RunStatus(exp.status).is_active:
                raise ValueError(f"experiment {experiment_id} is {exp.status}: stop it first")
            for table in (Metric, IngestCursor, StatusTransition, TrainedModel):
                s.execute(delete(table).where(col(table.experiment_id) == experiment_id))
            s.delete(exp)

    # -- models ----------------------------------------------------------------------
    def add_models(
        self,
        experiment_id: int,
        framework: str,
        artifacts: Iterable[tuple[str, str, Mapping[str, float]]],
    ) -> list[TrainedModel]:
        """Register ``(name, path, metrics)`` of a run as models, in one transaction;
        a path the run already registered is skipped. Returns the new rows."""
        with self.db.write() as s:
            query = select(TrainedModel.path).where(
                col(TrainedModel.experiment_id) == experiment_id
            )
            known = set(s.scalars(query))
            added = []
            for name, path, metrics in artifacts:
                if path in known:
                    continue
                known.add(path)
                doc = {k: (None if math.isnan(v) else v) for k, v in metrics.items()}
                model = TrainedModel(
                    experiment_id=experiment_id,
                    name=name,
                    framework=framework,
                    path=path,
                    metrics_json=json.dumps(doc),
                )
                s.add(model)
                added.append(model)
            s.flush()
            return added

    def models(self, experiment_id: int | None = None) -> list[TrainedModel]:
        """Registered models, oldest first (of one run when ``experiment_id`` is given)."""
        with self.db.read() as s:
            query = select(TrainedModel).order_by(col(TrainedModel.id))
            if experiment_id is not None:
                query = query.where(col(TrainedModel.experiment_id) == experiment_id)
            return list(s.scalars(query))

    # -- ingestion -------------------------------------------------------------------
    def cursor(self, experiment_id: int, source: str) -> tuple[int, dict[str, Any]]:
        with self.db.read() as s:
            cur = s.get(IngestCursor, (experiment_id, source))
            if cur is None:
                return 0, {}
            return cur.version, json.loads(cur.state_json)

    def commit_batch(
        self,
        experiment_id: int,
        source: str,
        expected_version: int,
        state: dict[str, Any],
        metrics: Sequence[MetricPoint],
        progress: Progress | None,
    ) -> bool:
        """Save what a source produced and its new read state, atomically.

        Returns False (and writes nothing) when the cursor moved since it was read:
        another process ingested the same bytes first.
        """
        with self.db.write() as s:
            cur = s.get(IngestCursor, (experiment_id, source))
            version = cur.version if cur is not None else 0
            if version != expected_version:
                return False
            at = now()
            if cur is None:
                cur = IngestCursor(experiment_id=experiment_id, source=source)
            cur.version = version + 1
            cur.state_json = json.dumps(state, separators=(",", ":"))
            cur.updated_at = at
            s.add(cur)
            if metrics:
                s.execute(
                    insert(Metric),
                    [
                        {
                            "experiment_id": experiment_id,
                            "name": m.name,
                            "step": m.step,
                            "epoch": m.epoch,
                            "value": None if math.isnan(m.value) else m.value,
                            "wall_time": m.wall_time if m.wall_time is not None else at,
                            "source": source,
                        }
                        for m in metrics
                    ],
                )
            if progress is not None:
                exp = s.get(Experiment, experiment_id)
                if exp is not None:
                    exp.progress_json = json.dumps(progress.to_json())
            return True

    # -- metrics ---------------------------------------------------------------------
    def metrics(self, experiment_id: int, name: str | None = None) -> list[MetricRow]:
        """Metric rows in ingestion order; for each name only the most reliable source."""
        with self.db.read() as s:
            query = select_columns(
                col(Metric.name),
                col(Metric.step),
                col(Metric.epoch),
                col(Metric.value),
                col(Metric.wall_time),
                col(Metric.source),
            ).where(col(Metric.experiment_id) == experiment_id)
            if name is not None:
                query = query.where(col(Metric.name) == name)
            rows = [
                MetricRow(name, step, epoch, math.nan if value is None else value, wall, source)
                for name, step, epoch, value, wall, source in s.execute(
                    query.order_by(col(Metric.id))
                )
            ]
        best: dict[str, int] = {}
        for r in rows:
            rank = source_rank(r.source)
            if rank < best.get(r.name, 99):
                best[r.name] = rank
        return [r for r in rows if source_rank(r.source) == best[r.name]]

    def metric_count(self, experiment_id: int) -> int:
        with self.db.read() as s:
            query = select(func.count()).where(col(Metric.experiment_id) == experiment_id)
            return int(s.execute(query).scalar_one())

    def last_metrics(self, experiment_id: int) -> dict[str, float]:
        last: dict[str, float] = {}
        for row in self.metrics(experiment_id):
            last[row.name] = row.value
        return last
