"""The local GPUs through NVML (``pynvml``, from the optional ``nvidia-ml-py``
package): no process to start every two seconds. Absent module, library or driver:
None, and the caller asks ``nvidia-smi`` instead."""

from __future__ import annotations

import importlib
import threading
from typing import Any

from tuitrain.gpus.model import GpuInfo, GpuProcess, GpuSnapshot, SnapshotState

_MIB = 1024 * 1024
_lock = threading.Lock()
_initialised = False


def _module() -> Any | None:
    try:
        return importlib.import_module("pynvml")
    except ImportError:
        return None


def _maybe(fn: Any, *args: Any) -> Any | None:
    try:
        return fn(*args)
    except Exception:  # NVMLError_NotSupported and friends: the GPU cannot tell
        return None


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def nvml_snapshot(host: str = "local") -> GpuSnapshot | None:
    nvml = _module()
    if nvml is None:
        return None
    global _initialised
    try:
        with _lock:
            if not _initialised:
                nvml.nvmlInit()
                _initialised = True
        count = nvml.nvmlDeviceGetCount()
        gpus: list[GpuInfo] = []
        procs: list[GpuProcess] = []
        for index in range(count):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            uuid = _text(nvml.nvmlDeviceGetUUID(handle))
            util = _maybe(nvml.nvmlDeviceGetUtilizationRates, handle)
            mem = _maybe(nvml.nvmlDeviceGetMemoryInfo, handle)
            temp = _maybe(nvml.nvmlDeviceGetTemperature, handle, nvml.NVML_TEMPERATURE_GPU)
            gpus.append(
                GpuInfo(
                    index=index,
                    name=_text(nvml.nvmlDeviceGetName(handle)),
                    uuid=uuid,
                    utilization=float(util.gpu) if util is not None else None,
                    memory_used_mib=mem.used / _MIB if mem is not None else None,
                    memory_total_mib=mem.total / _MIB if mem is not None else None,
                    temperature_c=float(temp) if temp is not None else None,
                )
            )
            for proc in _maybe(nvml.nvmlDeviceGetComputeRunningProcesses, handle) or []:
                used = getattr(proc, "usedGpuMemory", None)
                procs.append(GpuProcess(int(proc.pid), uuid, used / _MIB if used else None))
    except Exception:  # no libnvidia-ml.so, no driver: nvidia-smi will say which
        return None
    if not gpus:
        return GpuSnapshot(host, SnapshotState.NO_GPU, message="no GPU: NVML found none")
    return GpuSnapshot(host, SnapshotState.OK, tuple(gpus), tuple(procs), source="nvml")
