"""GPUs of a host: what ``nvidia-smi`` (or NVML, where local) reports, which of them a
queued run may take, and which experiment uses which. No UI, no ML library."""

from tuitrain.gpus.model import GpuInfo, GpuProcess, GpuSnapshot, SnapshotState

__all__ = ["GpuInfo", "GpuProcess", "GpuSnapshot", "SnapshotState"]
