"""How many GPUs a host can ever give tuitrain's runs: what a request is checked
against before it waits in the queue (the wizard's GPUs field, ``start_training``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tuitrain.executors.base import Executor
from tuitrain.frameworks.environments import SettingsError
from tuitrain.gpus.config import gpu_settings
from tuitrain.gpus.probe import query_gpus


def usable_gpu_count(
    host: str, executor: Executor, settings: Mapping[str, Any] | None = None
) -> int | None:
    """GPUs of ``host`` that tuitrain may use (``[hosts.NAME] gpus``), busy or not:
    0 when it has no GPU or driver; None when that cannot be known now (the host is
    unreachable, config.toml is unusable). Blocking: call it from a thread."""
    try:
        own = gpu_settings(host, settings)
    except SettingsError:
        return None
    snapshot = query_gpus(executor, own)
    if not snapshot.ok:
        return 0 if snapshot.state.definitive else None
    return sum(1 for gpu in snapshot.gpus if own.usable(gpu))


def gpus_text(count: int) -> str:
    """``1 GPU``, ``2 GPUs``, ``no GPU``."""
    if count == 0:
        return "no GPU"
    return f"{count} GPU" + ("" if count == 1 else "s")
