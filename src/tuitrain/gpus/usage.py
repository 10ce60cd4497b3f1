"""Which experiment uses which GPU: tuitrain's own allocations (the ``gpu_ids`` a
queued run was given) and, on the local host, the compute processes nvidia-smi lists
matched to runs by process group (a run's trainer is a child of its wrapper shell,
in the run's own session and process group)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable

from tuitrain.gpus.model import GpuSnapshot, GpuUser
from tuitrain.store.models import Experiment


def parse_gpu_ids(text: str | None) -> list[int]:
    """``"2,3"`` -> [2, 3]; None or "" -> []."""
    if not text:
        return []
    return [int(part) for part in text.split(",") if part.strip().isdigit()]


def format_gpu_ids(ids: Iterable[int]) -> str:
    return ",".join(str(i) for i in ids)


def _label(exp: Experiment) -> str:
    return f"#{exp.id} {exp.name}"


def _pgid_or_none(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def gpu_users(
    snapshot: GpuSnapshot,
    experiments: Iterable[Experiment],
    local: bool,
    pgid_of: Callable[[int], int | None] = _pgid_or_none,
) -> dict[int, list[GpuUser]]:
    """GPU index -> who uses it. ``experiments``: the host's active runs."""
    runs = [e for e in experiments if e.host == snapshot.host]
    users: dict[int, list[GpuUser]] = {}

    def add(index: int, user: GpuUser) -> None:
        listed = users.setdefault(index, [])
        for i, known in enumerate(listed):
            if user.experiment_id is not None and known.experiment_id == user.experiment_id:
                listed[i] = GpuUser(known.experiment_id, known.label, known.pids + user.pids)
                return
        listed.append(user)

    for exp in runs:
        for index in parse_gpu_ids(exp.gpu_ids):
            add(index, GpuUser(exp.id, _label(exp)))
    index_of = {g.uuid: g.index for g in snapshot.gpus if g.uuid}
    by_group = {e.pgid: e for e in runs if e.pgid is not None}
    by_pid = {e.pid: e for e in runs if e.pid is not None}
    for proc in snapshot.processes:
        on = index_of.get(proc.gpu_uuid)
        if on is None:
            continue
        owner = by_pid.get(proc.pid)
        if owner is None and local:
            group = pgid_of(proc.pid)
            owner = by_group.get(group) if group is not None else None
        if owner is not None:
            add(on, GpuUser(owner.id, _label(owner), (proc.pid,)))
        else:
            add(on, GpuUser(None, f"pid {proc.pid}", (proc.pid,)))
    return users
