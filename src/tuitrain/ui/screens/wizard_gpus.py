"""The wizard's GPUs field: its check (a count, within what the host can ever give,
consistent with the device parameter) and the hosts' GPU counts, read in a thread."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from textual.app import App
from textual.message import Message

from tuitrain.executors.base import Executor
from tuitrain.gpus.capacity import gpus_text, usable_gpu_count
from tuitrain.gpus.request import ANY_HOST, GpuRequestError, apply_gpu_request


class HostGpusCounted(Message):
    """How many GPUs each host can give (None: it could not say)."""

    def __init__(self, counts: Mapping[str, int | None]) -> None:
        super().__init__()
        self.counts = dict(counts)


def engine_executors(app: App[Any]) -> dict[str, Executor]:
    """The app's engine's executors, or only this machine's while it opens (or in a
    bare app)."""
    from tuitrain.ui.app import TuitrainApp

    if isinstance(app, TuitrainApp) and app.manager_ready:
        return dict(app.manager.executors)
    from tuitrain.executors.local import LocalExecutor

    return {"local": LocalExecutor()}


def count_host_gpus(executors: Mapping[str, Executor]) -> dict[str, int | None]:
    """Blocking (nvidia-smi on each host): run it in a thread worker."""
    return {host: usable_gpu_count(host, executor) for host, executor in executors.items()}


def gpus_problem(
    count: int, config: Mapping[str, Any], limits: Mapping[str, int | None]
) -> str | None:
    """Why ``count`` GPUs cannot be asked for with ``config`` (framework, host, raw
    params), or None. A host whose count is not known yet gets the benefit of the doubt."""
    if count == 0:
        return None
    host = str(config.get("host") or "local")
    known = [n for h, n in limits.items() if host in (h, ANY_HOST)]
    if known and None not in known and count > max(n or 0 for n in known):
        most = max(n or 0 for n in known)
        if host == ANY_HOST:
            return f"no host has {gpus_text(count)} tuitrain may use (at most {most})"
        return f"{host} has {gpus_text(most)} tuitrain may use"
    try:
        apply_gpu_request({**config, "gpus": count})
    except GpuRequestError as exc:
        return str(exc)
    return None


def queue_line(config: Mapping[str, Any]) -> str:
    """The confirmation's line about GPUs."""
    count = int(config.get("gpus") or 0)
    if count == 0:
        return "none requested: starts at once"
    return f"waits for {gpus_text(count)} on {config['host']} (FIFO)"
