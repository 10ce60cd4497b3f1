"""Asking a host about its GPUs: ``nvidia-smi``'s query interface through the host's
executor (so the same code serves local and SSH hosts), or NVML in this process for
the local host when the optional ``nvidia-ml-py`` module is importable and no
``nvidia_smi`` command is configured."""

from __future__ import annotations

from tuitrain.executors.base import Executor
from tuitrain.gpus.config import HostGpuSettings
from tuitrain.gpus.model import GpuSnapshot
from tuitrain.gpus.nvml import nvml_snapshot
from tuitrain.gpus.smi_csv import query_apps_args, query_gpu_args, snapshot_from_output

QUERY_TIMEOUT_S = 10.0


def query_gpus(
    executor: Executor, settings: HostGpuSettings, timeout: float = QUERY_TIMEOUT_S
) -> GpuSnapshot:
    """What ``settings.host`` has now. Never raises: a host that cannot be asked is a
    snapshot in state ERROR with the reason."""
    if settings.host == "local" and not settings.configured_smi:
        found = nvml_snapshot(settings.host)
        if found is not None:
            return found
    gpus = executor.run_command([*settings.nvidia_smi, *query_gpu_args()], timeout)
    apps = ""
    if gpus.returncode == 0:
        done = executor.run_command([*settings.nvidia_smi, *query_apps_args()], timeout)
        apps = done.stdout if done.returncode == 0 else ""
    return snapshot_from_output(settings.host, gpus.returncode, gpus.stdout, gpus.stderr, apps)
