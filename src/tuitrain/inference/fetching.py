"""The weights of a model trained on an SSH host, brought here once before inference.

The copy lives in ``$TUITRAIN_HOME/models/<model id>/<name>`` and is reused while its
size matches the host's file (a fetch writes a temporary file renamed at the end, so a
copy there is never half a file). When the host cannot be reached, a cached copy is
used as it is; without one, the error says which host in one line.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

from tuitrain.executors.ssh import SshExecutor
from tuitrain.executors.ssh_connection import HostUnreachable
from tuitrain.executors.ssh_transfer import Progress, fetch_file
from tuitrain.hosts.config import load_hosts
from tuitrain.hosts.registry import executor_for
from tuitrain.inference.models import ModelLookupError, PredictableModel
from tuitrain.paths import tuitrain_home

MODELS_DIR = "models"


def cache_path(model: PredictableModel, home: Path | None = None) -> Path:
    """Where the local copy of a remote model goes."""
    home = home or tuitrain_home()
    return home / MODELS_DIR / str(model.id) / os.path.basename(model.path)


def _executor(host: str, home: Path) -> SshExecutor:
    try:
        hosts = load_hosts(home)
    except ValueError as exc:
        raise ModelLookupError(str(exc)) from exc
    if host not in hosts:
        raise ModelLookupError(f"host {host!r} is no longer in config.toml (tuitrain hosts)")
    executor = executor_for(hosts[host], home)
    assert isinstance(executor, SshExecutor)
    return executor


def fetch_weights(
    model: PredictableModel,
    progress: Progress | None = None,
    home: Path | None = None,
) -> PredictableModel:
    """``model`` with ``path`` a local file: itself for a local model, else the cached
    copy of the host's file (fetched now when missing or of another size).

    Raises ``ModelLookupError`` with one line when the weights cannot be had."""
    if not model.is_remote or model.fetched:
        return model
    home = home or tuitrain_home()
    local = cache_path(model, home)
    executor = _executor(model.host, home)
    try:
        try:
            size = executor.file_size(model.path)
        except HostUnreachable as exc:
            if local.is_file():  # complete by construction: fetches rename at the end
                return replace(model, path=str(local), fetched=True)
            raise ModelLookupError(
                f"model {model.id}: host {model.host} unreachable: {exc}"
            ) from exc
        if size is None:
            raise ModelLookupError(
                f"model {model.id}: its weights are gone from {model.host} ({model.path})"
            )
        if not (local.is_file() and local.stat().st_size == size):
            fetch_file(executor, model.path, str(local), progress)
        elif progress:
            progress(size, size)
    except HostUnreachable as exc:
        raise ModelLookupError(f"model {model.id}: host {model.host} unreachable: {exc}") from exc
    except OSError as exc:
        raise ModelLookupError(f"model {model.id}: fetching its weights failed: {exc}") from exc
    return replace(model, path=str(local), fetched=True)
