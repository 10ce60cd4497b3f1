"""What one look at a host's GPUs found: the GPUs, the processes on them, or why
there is nothing to show ("no GPU", "no driver", "nvidia-smi not installed")."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class SnapshotState(enum.StrEnum):
    OK = "ok"
    NO_GPU = "no_gpu"  # the driver answers, but there is no GPU
    NO_DRIVER = "no_driver"  # nvidia-smi is there, the driver is not (or mismatched)
    NOT_INSTALLED = "not_installed"  # no nvidia-smi at all
    ERROR = "error"  # the host could not be asked (SSH down, timeout, garbled output)

    @property
    def definitive(self) -> bool:
        """The host has no usable GPU, and asking again will not change it soon."""
        return self in (SnapshotState.NO_GPU, SnapshotState.NO_DRIVER, SnapshotState.NOT_INSTALLED)


@dataclass(frozen=True, slots=True)
class GpuInfo:
    """One GPU. Values nvidia-smi reports as ``[N/A]`` or ``[Not Supported]`` are None."""

    index: int
    name: str = ""
    uuid: str | None = None
    utilization: float | None = None  # percent
    memory_used_mib: float | None = None
    memory_total_mib: float | None = None
    temperature_c: float | None = None

    @property
    def memory_percent(self) -> float | None:
        if self.memory_used_mib is None or not self.memory_total_mib:
            return None
        return 100.0 * self.memory_used_mib / self.memory_total_mib


@dataclass(frozen=True, slots=True)
class GpuProcess:
    """A compute process on a GPU (``--query-compute-apps``)."""

    pid: int
    gpu_uuid: str
    used_memory_mib: float | None = None


@dataclass(frozen=True, slots=True)
class GpuSnapshot:
    host: str
    state: SnapshotState
    gpus: tuple[GpuInfo, ...] = ()
    processes: tuple[GpuProcess, ...] = ()
    message: str = ""  # one line: why there are no GPUs, or what went wrong
    source: str = "nvidia-smi"  # or "nvml"

    @property
    def ok(self) -> bool:
        return self.state is SnapshotState.OK

    def gpu(self, index: int) -> GpuInfo | None:
        return next((g for g in self.gpus if g.index == index), None)

    def describe(self) -> str:
        """One line for a host without GPUs to show."""
        if self.ok:
            return f"{len(self.gpus)} GPU" + ("" if len(self.gpus) == 1 else "s")
        return self.message or str(self.state)


@dataclass(frozen=True, slots=True)
class GpuUser:
    """Who uses a GPU: a tuitrain experiment (by allocation or by its process) or a
    process tuitrain does not know."""

    experiment_id: int | None
    label: str  # "#12 yolo-small", or "pid 4242"
    pids: tuple[int, ...] = field(default=())
