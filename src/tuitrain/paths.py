"""Where tuitrain keeps its data: ``TUITRAIN_HOME`` or the XDG data directory."""

from __future__ import annotations

import os
from pathlib import Path


def tuitrain_home() -> Path:
    explicit = os.environ.get("TUITRAIN_HOME")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "tuitrain"


def database_path(home: Path | None = None) -> Path:
    return (home or tuitrain_home()) / "tuitrain.db"


def runs_dir(home: Path | None = None) -> Path:
    return (home or tuitrain_home()) / "runs"
