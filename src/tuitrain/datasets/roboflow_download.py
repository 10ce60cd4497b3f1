"""Downloading a dataset version with the official ``roboflow`` client.

The client is pointed at its API by its own ``API_URL`` setting (the environment
variable ``API_URL``, or ``API_URL`` in the client's config.json), read when
``roboflow.config`` is imported; :func:`download_version` asks the client to
re-resolve it first, so a change after import is honoured too.

While a download runs, two names inside ``roboflow.core.version`` are replaced: its
``extract_zip`` by :func:`tuitrain.datasets.archives.safe_extract_zip` (the client's
own extraction silently rewrites ``../`` members; ours refuses the archive), and its
``tqdm`` by a progress relay to ``on_progress``. Both are restored afterwards, under a
lock, so concurrent downloads in one process cannot see each other's hooks.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuitrain.datasets.archives import safe_extract_zip
from tuitrain.datasets.credentials import redact
from tuitrain.datasets.errors import ArchiveRefused, DatasetError

ProgressCallback = Callable[[int, int], None]
FORMATS = ("yolov8", "coco")
ARCHIVE_NAME = "roboflow.zip"
_CLIENT_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class RoboflowVersion:
    workspace: str
    project: str
    version: int
    format: str

    def check(self) -> None:
        for what, value in (("workspace", self.workspace), ("project", self.project)):
            if not value or "/" in value or value.strip() != value or value in (".", ".."):
                raise DatasetError(f"bad Roboflow {what} {value!r}")
        if self.version < 1:
            raise DatasetError(f"a Roboflow version is a positive number, got {self.version}")
        if self.format not in FORMATS:
            raise DatasetError(f"unknown format {self.format!r}: choose {' or '.join(FORMATS)}")


def download_version(
    request: RoboflowVersion,
    api_key: str,
    dest: Path,
    on_progress: ProgressCallback | None = None,
) -> Path:
    """Download and safely unpack one version into ``dest`` (created; must not exist)."""
    request.check()
    if dest.exists():
        raise DatasetError(f"{dest} already exists")
    try:
        roboflow = importlib.import_module("roboflow")
        client_config = importlib.import_module("roboflow.config")
        client_version = importlib.import_module("roboflow.core.version")
    except ImportError as exc:
        raise DatasetError(
            "the roboflow client is not installed: pip install 'tuitrain[roboflow]'"
        ) from exc
    _point_client_at_its_api_url(client_config)
    chatter = io.StringIO()  # the client prints to stdout; keep our stdout ours
    with _CLIENT_LOCK, _hooks(client_version, on_progress), contextlib.redirect_stdout(chatter):
        try:
            client = roboflow.Roboflow(api_key=api_key)
            if getattr(client, "onboarding", False):
                raise DatasetError("the Roboflow API key was refused (it looks like a placeholder)")
            project = client.workspace(request.workspace).project(request.project)
            project.version(request.version).download(request.format, str(dest), overwrite=True)
        except (ArchiveRefused, DatasetError):
            raise
        except Exception as exc:
            text = str(exc).strip().splitlines()
            message = redact(text[0] if text else type(exc).__name__, api_key)
            raise DatasetError(f"Roboflow download failed: {message}") from None
    return dest


def _point_client_at_its_api_url(client_config: Any) -> None:
    """Re-read the client's ``API_URL`` setting (modules copied it at import time)."""
    refresh = getattr(client_config, "refresh_region_urls", None)
    if callable(refresh):
        refresh()
        return
    wanted = os.environ.get("API_URL")  # older clients: the environment variable only
    if wanted:
        for name, module in list(sys.modules.items()):
            if name.split(".")[0] == "roboflow" and isinstance(
                getattr(module, "API_URL", None), str
            ):
                setattr(module, "API_URL", wanted)  # noqa: B010


@contextlib.contextmanager
def _hooks(module: Any, on_progress: ProgressCallback | None) -> Iterator[None]:
    saved = {name: getattr(module, name) for name in ("extract_zip", "tqdm")}

    def extract(location: str, desc: str = "") -> None:
        archive = Path(location) / ARCHIVE_NAME
        try:
            safe_extract_zip(archive, Path(location))
        finally:
            archive.unlink(missing_ok=True)

    def relay(iterable: Iterable[Any], *args: Any, total: int | None = None, **kwargs: Any) -> Any:
        return _ProgressRelay(iterable, total, on_progress)

    module.extract_zip = extract
    module.tqdm = relay
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


class _ProgressRelay:
    """Stands in for tqdm around the client's download loop (1 KiB chunks)."""

    def __init__(
        self, iterable: Iterable[Any], total: int | None, on_progress: ProgressCallback | None
    ) -> None:
        self.iterable = iterable
        self.total_bytes = (total or 0) * 1024
        self.on_progress = on_progress

    def __iter__(self) -> Iterator[Any]:
        done = 0
        last_percent = -1
        for chunk in self.iterable:
            done += len(chunk) if isinstance(chunk, bytes | bytearray) else 1
            if self.on_progress and self.total_bytes:
                percent = min(100, done * 100 // self.total_bytes)
                if percent != last_percent:
                    last_percent = percent
                    self.on_progress(min(done, self.total_bytes), self.total_bytes)
            yield chunk
        if self.on_progress:  # the client's total is rounded up to whole KiB
            self.on_progress(done, done)
