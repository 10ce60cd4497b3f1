"""What the GPU panel and ``tuitrain gpus`` show for a host: each GPU with who uses
it and whether the queue counts it busy. Blocking (it asks the host): call it from a
thread."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tuitrain.executors.base import Executor
from tuitrain.gpus.config import HostGpuSettings, gpu_settings
from tuitrain.gpus.model import GpuInfo, GpuSnapshot, GpuUser
from tuitrain.gpus.probe import query_gpus
from tuitrain.gpus.usage import gpu_users
from tuitrain.store.models import Experiment


@dataclass(frozen=True, slots=True)
class GpuRow:
    gpu: GpuInfo
    users: tuple[GpuUser, ...] = ()
    busy: str | None = None  # why the queue counts it busy, by the thresholds
    usable: bool = True  # tuitrain may give it to runs (``[hosts.NAME] gpus``)

    @property
    def user_text(self) -> str:
        return ", ".join(u.label for u in self.users) or "-"


@dataclass(frozen=True, slots=True)
class HostGpus:
    host: str
    snapshot: GpuSnapshot
    rows: tuple[GpuRow, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "state": str(self.snapshot.state),
            "message": self.snapshot.message,
            "gpus": [
                {
                    "index": r.gpu.index,
                    "name": r.gpu.name,
                    "uuid": r.gpu.uuid,
                    "utilization": r.gpu.utilization,
                    "memory_used_mib": r.gpu.memory_used_mib,
                    "memory_total_mib": r.gpu.memory_total_mib,
                    "temperature_c": r.gpu.temperature_c,
                    "busy": r.busy,
                    "usable": r.usable,
                    "experiments": [u.experiment_id for u in r.users if u.experiment_id],
                    "users": [u.label for u in r.users],
                }
                for r in self.rows
            ],
        }


def host_gpus(
    snapshot: GpuSnapshot, settings: HostGpuSettings, active: Iterable[Experiment], local: bool
) -> HostGpus:
    users = gpu_users(snapshot, active, local)
    rows = tuple(
        GpuRow(
            gpu,
            tuple(users.get(gpu.index, ())),
            settings.thresholds.reason(gpu),
            settings.usable(gpu),
        )
        for gpu in snapshot.gpus
    )
    return HostGpus(snapshot.host, snapshot, rows)


def read_host_gpus(
    host: str,
    executor: Executor,
    active: Iterable[Experiment],
    settings: Mapping[str, Any] | None = None,
) -> HostGpus:
    """Ask ``host`` now (a bad ``config.toml`` raises SettingsError)."""
    own = gpu_settings(host, settings)
    return host_gpus(query_gpus(executor, own), own, active, local=host == "local")


def bar(percent: float | None, width: int) -> str:
    """``"█████░░░░░"`` for 50% in 10 cells; unknown: dots."""
    if percent is None:
        return "·" * width
    full = round(max(0.0, min(100.0, percent)) / 100 * width)
    return "█" * full + "░" * (width - full)


def memory_text(gpu: GpuInfo) -> str:
    if gpu.memory_used_mib is None or gpu.memory_total_mib is None:
        return "n/a"
    return f"{gpu.memory_used_mib / 1024:.1f}/{gpu.memory_total_mib / 1024:.0f} GiB"


def percent_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}%"


def temperature_text(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}°C"
