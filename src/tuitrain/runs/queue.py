"""The GPU queue: runs that ask for N GPUs wait QUEUED until a host has N free, then
start first-in first-out.

A GPU is free when the host lets tuitrain use it (``[hosts.NAME] gpus``), no active
tuitrain run holds it, and it is not busy by the user's thresholds (someone else's
job). Strict FIFO: a run that cannot start yet keeps every later run off the hosts it
waits for (no overtaking, so a 4-GPU run is never starved by 1-GPU ones), unless it
can never fit there.

Several tuitrain processes (a TUI and a CLI) may schedule at once: a run is claimed
in one write transaction that checks it is still QUEUED and that none of its GPUs
were taken meanwhile, so exactly one of them launches it, on GPUs nobody else holds.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import col, select

from tuitrain.executors.base import Executor
from tuitrain.frameworks.environments import SettingsError, load_settings
from tuitrain.gpus.config import HostGpuSettings, gpu_settings
from tuitrain.gpus.model import GpuSnapshot
from tuitrain.gpus.probe import query_gpus
from tuitrain.gpus.request import ANY_HOST
from tuitrain.gpus.usage import format_gpu_ids, parse_gpu_ids
from tuitrain.runs.states import RunStatus, check_transition
from tuitrain.store.db import Database
from tuitrain.store.experiments import ExperimentStore
from tuitrain.store.models import Experiment, StatusTransition, now

HOLDING = (RunStatus.STARTING, RunStatus.RUNNING)


@dataclass(frozen=True, slots=True)
class QueuedRun:
    experiment_id: int
    host: str  # a host name or "any"
    gpus: int


@dataclass(frozen=True, slots=True)
class HostView:
    """A host's GPUs as the queue sees them."""

    host: str
    usable: tuple[int, ...] = ()  # GPUs tuitrain may use there
    free: tuple[int, ...] = ()  # usable, not held by a run, not busy
    why_not_free: Mapping[int, str] = field(default_factory=dict)
    problem: str | None = None  # the host could not say (no GPU, no driver, SSH down)


@dataclass(frozen=True, slots=True)
class Placement:
    experiment_id: int
    host: str
    gpu_ids: tuple[int, ...]


def host_view(
    snapshot: GpuSnapshot, settings: HostGpuSettings, held: Mapping[int, int]
) -> HostView:
    """``held``: GPU index -> id of the tuitrain run holding it."""
    if not snapshot.ok:
        return HostView(snapshot.host, problem=snapshot.describe())
    usable: list[int] = []
    free: list[int] = []
    why: dict[int, str] = {}
    for gpu in snapshot.gpus:
        if not settings.usable(gpu):
            continue
        usable.append(gpu.index)
        if gpu.index in held:
            why[gpu.index] = f"GPU {gpu.index} used by #{held[gpu.index]}"
        elif (busy := settings.thresholds.reason(gpu)) is not None:
            why[gpu.index] = f"GPU {gpu.index} busy ({busy})"
        else:
            free.append(gpu.index)
    return HostView(snapshot.host, tuple(usable), tuple(free), why)


def _plural(n: int) -> str:
    return f"{n} GPU" + ("" if n == 1 else "s")


def plan(
    queued: Sequence[QueuedRun], views: Mapping[str, HostView]
) -> tuple[list[Placement], dict[int, str]]:
    """Which queued runs start now and where; why each other one waits."""
    free = {h: list(v.free) for h, v in views.items()}
    blocked_by: dict[str, int] = {}
    placements: list[Placement] = []
    waiting: dict[int, str] = {}
    for run in sorted(queued, key=lambda r: r.experiment_id):
        hosts = list(views) if run.host == ANY_HOST else [run.host]
        open_hosts = [h for h in hosts if h in views and h not in blocked_by]
        spot = next((h for h in open_hosts if len(free[h]) >= run.gpus), None)
        if spot is not None:
            ids, free[spot] = free[spot][: run.gpus], free[spot][run.gpus :]
            placements.append(Placement(run.experiment_id, spot, tuple(ids)))
            continue
        waiting[run.experiment_id] = _why_waiting(run, hosts, views, blocked_by)
        for h in open_hosts:
            if len(views[h].usable) >= run.gpus:
                blocked_by[h] = run.experiment_id
    return placements, waiting


def _why_waiting(
    run: QueuedRun, hosts: list[str], views: Mapping[str, HostView], blocked_by: Mapping[str, int]
) -> str:
    parts = []
    for h in hosts:
        view = views.get(h)
        if view is None:
            parts.append(f"{h}: unknown host")
        elif view.problem is not None:
            parts.append(f"{h}: {view.problem}")
        elif len(view.usable) < run.gpus:
            parts.append(f"{h} has {_plural(len(view.usable))} tuitrain may use")
        elif h in blocked_by:
            parts.append(f"{h}: behind #{blocked_by[h]}")
        else:
            taken = "; ".join(view.why_not_free.values())
            parts.append(f"{h}: {len(view.free)} of {len(view.usable)} free ({taken})")
    return f"waiting for {_plural(run.gpus)}: " + " · ".join(parts)


def queue_positions(experiments: Iterable[Experiment]) -> dict[int, int]:
    """Experiment id -> place in the queue (1 = next), over QUEUED runs, oldest first."""
    ids = sorted(e.id for e in experiments if e.id is not None and e.status == RunStatus.QUEUED)
    return {rid: place for place, rid in enumerate(ids, start=1)}


def held_gpus(runs: Iterable[Experiment]) -> dict[str, dict[int, int]]:
    """Host -> GPU index -> id of the active run holding it."""
    held: dict[str, dict[int, int]] = {}
    for exp in runs:
        if exp.id is None or RunStatus(exp.status) not in HOLDING:
            continue
        for index in parse_gpu_ids(exp.gpu_ids):
            held.setdefault(exp.host, {})[index] = exp.id
    return held


def claim(db: Database, placement: Placement) -> Experiment | None:
    """QUEUED -> STARTING on ``placement``'s GPUs, in one transaction; None when the
    run is no longer QUEUED or one of the GPUs was taken meanwhile (by another
    tuitrain process)."""
    with db.write() as s:
        exp = s.get(Experiment, placement.experiment_id)
        if exp is None or exp.status != RunStatus.QUEUED:
            return None
        holding = s.scalars(
            select(Experiment).where(
                col(Experiment.status).in_([str(h) for h in HOLDING]),
                col(Experiment.host) == placement.host,
            )
        )
        taken = {i for other in holding for i in parse_gpu_ids(other.gpu_ids)}
        if taken & set(placement.gpu_ids):
            return None
        check_transition(RunStatus.QUEUED, RunStatus.STARTING)
        exp.status = str(RunStatus.STARTING)
        exp.host = placement.host
        exp.gpu_ids = format_gpu_ids(placement.gpu_ids)
        exp.queue_reason = None
        exp.started_at = now()  # the launch's clock: a long wait is no stuck launch
        where = f"GPU{'s' if len(placement.gpu_ids) > 1 else ''} {exp.gpu_ids} on {placement.host}"
        s.add(
            StatusTransition(
                experiment_id=placement.experiment_id,
                from_status=str(RunStatus.QUEUED),
                to_status=str(RunStatus.STARTING),
                reason=where,
            )
        )
        return exp


def requested(exp: Experiment) -> int:
    try:
        return int(json.loads(exp.config_json).get("gpus") or 0)
    except (ValueError, TypeError, AttributeError):
        return 0


class GpuQueue:
    """One scheduling pass at a time (blocking: it asks the hosts; run it in a thread)."""

    def __init__(
        self,
        store: ExperimentStore,
        executors: Mapping[str, Executor],
        settings: Callable[[], Mapping[str, Any]] = load_settings,
    ) -> None:
        self.store = store
        self.executors = executors
        self.settings = settings

    def queued(self) -> list[Experiment]:
        return sorted(self.store.list_in([RunStatus.QUEUED]), key=lambda e: e.id or 0)

    def snapshot(
        self, host: str, settings: Mapping[str, Any]
    ) -> tuple[GpuSnapshot, HostGpuSettings]:
        own = gpu_settings(host, settings)
        executor = self.executors[host]
        return query_gpus(executor, own), own

    def run_pass(self) -> list[Experiment]:
        """Claim every queued run that can start now; note why the others wait.
        Returns the claimed runs (STARTING, with their host and GPUs), oldest first."""
        queued = self.queued()
        if not queued:
            return []
        runs = [QueuedRun(e.id or 0, e.host, max(1, requested(e))) for e in queued]
        try:
            settings = self.settings()
            wanted = {h for r in runs for h in (self.executors if r.host == ANY_HOST else [r.host])}
            held = held_gpus(self.store.list_in(HOLDING))
            views: dict[str, HostView] = {}
            for host in sorted(h for h in wanted if h in self.executors):
                snap, own = self.snapshot(host, settings)
                views[host] = host_view(snap, own, held.get(host, {}))
        except SettingsError as exc:
            self._note({r.experiment_id: str(exc) for r in runs}, queued)
            return []
        placements, waiting = plan(runs, views)
        claimed = [exp for p in placements if (exp := claim(self.store.db, p)) is not None]
        self._note(waiting, queued)
        return claimed

    def _note(self, reasons: Mapping[int, str], queued: Iterable[Experiment]) -> None:
        for exp in queued:
            reason = reasons.get(exp.id or 0)
            if reason is not None and reason != exp.queue_reason:
                self.store.update(exp.id or 0, queue_reason=reason)


def check_gpu_request(queue: GpuQueue, cfg: Mapping[str, Any]) -> None:
    """:class:`ConfigError` when no host the run may go to can ever give it its GPUs
    (none there, no driver, fewer than asked); a host that cannot be asked right now
    (SSH down) gets the benefit of the doubt."""
    from tuitrain.runs.config import ConfigError

    count = int(cfg["gpus"])
    host = str(cfg["host"])
    hosts = list(queue.executors) if host == ANY_HOST else [host]
    if host != ANY_HOST and host not in queue.executors:
        raise ConfigError(f"unknown host {host!r}")
    try:
        settings = queue.settings()
        reasons = []
        for name in hosts:
            snap, own = queue.snapshot(name, settings)
            if not snap.ok and not snap.state.definitive:
                return
            usable = sum(1 for gpu in snap.gpus if own.usable(gpu))
            if snap.ok and usable >= count:
                return
            reasons.append(
                f"{name} has {_plural(usable)} tuitrain may use"
                if snap.ok
                else f"{name}: {snap.message}"
            )
    except SettingsError as exc:
        raise ConfigError(str(exc)) from exc
    raise ConfigError(f"cannot give the run {_plural(count)}: " + "; ".join(reasons))
