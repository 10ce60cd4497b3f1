"""GPU settings per host, from ``TUITRAIN_HOME/config.toml``::

    [gpus]                          # every host's defaults
    busy_memory_percent = 50        # a GPU with more memory in use is busy
    busy_utilization_percent = 50   # ... or busier than this

    [hosts.gpu1]
    nvidia_smi = "/usr/bin/nvidia-smi"   # the command (words; default "nvidia-smi")
    gpus = [0, 1]                        # the GPUs tuitrain may give to runs (default: all)
    busy_memory_percent = 30             # overrides [gpus]

A threshold of 100 or more never calls a GPU busy. Busy GPUs are skipped by the
queue (someone else's job runs there); GPUs taken by tuitrain's own runs are skipped
whatever their load.
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tuitrain.frameworks.environments import CONFIG_FILE, SettingsError, load_settings
from tuitrain.gpus.model import GpuInfo

DEFAULT_NVIDIA_SMI = ("nvidia-smi",)
DEFAULT_BUSY_MEMORY_PERCENT = 50.0
DEFAULT_BUSY_UTILIZATION_PERCENT = 50.0


@dataclass(frozen=True, slots=True)
class BusyThresholds:
    memory_percent: float = DEFAULT_BUSY_MEMORY_PERCENT
    utilization_percent: float = DEFAULT_BUSY_UTILIZATION_PERCENT

    def reason(self, gpu: GpuInfo) -> str | None:
        """Why ``gpu`` is busy ("utilization 100% > 50%"), or None when it is not.
        A value the GPU does not report never makes it busy."""
        mem = gpu.memory_percent
        if mem is not None and mem > self.memory_percent:
            return f"memory {mem:.0f}% > {self.memory_percent:g}%"
        util = gpu.utilization
        if util is not None and util > self.utilization_percent:
            return f"utilization {util:.0f}% > {self.utilization_percent:g}%"
        return None


@dataclass(frozen=True, slots=True)
class HostGpuSettings:
    host: str
    nvidia_smi: tuple[str, ...] = DEFAULT_NVIDIA_SMI
    configured_smi: bool = False  # False: the default command (NVML may be used instead)
    allowed: frozenset[int] | None = None  # None: every GPU of the host
    thresholds: BusyThresholds = BusyThresholds()

    def usable(self, gpu: GpuInfo) -> bool:
        return self.allowed is None or gpu.index in self.allowed


def _table(settings: Mapping[str, Any], *path: str) -> Mapping[str, Any]:
    node: Any = settings
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return node if isinstance(node, Mapping) else {}


def _percent(where: str, value: object, default: float) -> float:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise SettingsError(f"{CONFIG_FILE}: {where} must be a percentage (such as 50)")
    return float(value)


def gpu_settings(host: str, settings: Mapping[str, Any] | None = None) -> HostGpuSettings:
    """The GPU settings of ``host`` (defaults where config.toml says nothing)."""
    settings = load_settings() if settings is None else settings
    defaults = _table(settings, "gpus")
    own = _table(settings, "hosts", host)
    where = f"hosts.{host}"
    thresholds = BusyThresholds(
        memory_percent=_percent(
            f"{where}.busy_memory_percent",
            own.get("busy_memory_percent", defaults.get("busy_memory_percent")),
            DEFAULT_BUSY_MEMORY_PERCENT,
        ),
        utilization_percent=_percent(
            f"{where}.busy_utilization_percent",
            own.get("busy_utilization_percent", defaults.get("busy_utilization_percent")),
            DEFAULT_BUSY_UTILIZATION_PERCENT,
        ),
    )
    smi = own.get("nvidia_smi")
    if smi is not None and (not isinstance(smi, str) or not shlex.split(smi)):
        raise SettingsError(f"{CONFIG_FILE}: {where}.nvidia_smi must be a command")
    allowed = own.get("gpus")
    if allowed is not None and (
        not isinstance(allowed, list)
        or not all(isinstance(i, int) and not isinstance(i, bool) and i >= 0 for i in allowed)
    ):
        raise SettingsError(f"{CONFIG_FILE}: {where}.gpus must be a list of GPU indices")
    return HostGpuSettings(
        host=host,
        nvidia_smi=tuple(shlex.split(smi)) if smi else DEFAULT_NVIDIA_SMI,
        configured_smi=smi is not None,
        allowed=frozenset(allowed) if allowed is not None else None,
        thresholds=thresholds,
    )


def configured_hosts(settings: Mapping[str, Any] | None = None) -> list[str]:
    """Hosts named in config.toml, ``local`` first."""
    settings = load_settings() if settings is None else settings
    names = [str(k) for k in _table(settings, "hosts")]
    return ["local", *[n for n in names if n != "local"]]
