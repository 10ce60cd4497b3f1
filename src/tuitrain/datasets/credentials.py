"""The Roboflow API key: from ``ROBOFLOW_API_KEY``, else from one credentials file
under ``TUITRAIN_HOME`` that only its owner can read (mode 0600).

The key is never written anywhere else: not the database, not a config, not a log,
not a command line. :func:`redact` keeps it out of error messages.
"""

from __future__ import annotations

import json
import os
import stat
import uuid
from pathlib import Path

from tuitrain.datasets.errors import DatasetError
from tuitrain.paths import tuitrain_home

ENV_VAR = "ROBOFLOW_API_KEY"
CREDENTIALS_FILE = "credentials.json"
ROBOFLOW_ENTRY = "roboflow_api_key"


def credentials_path(home: Path | None = None) -> Path:
    return (home or tuitrain_home()) / CREDENTIALS_FILE


def load_roboflow_key(home: Path | None = None) -> str | None:
    """The key from the environment, else the credentials file, else None."""
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return from_env
    path = credentials_path(home)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DatasetError(f"cannot read {path}: {exc.strerror or exc}") from exc
    with os.fdopen(fd, encoding="utf-8") as f:
        mode = stat.S_IMODE(os.fstat(f.fileno()).st_mode)
        if mode & 0o077:
            raise DatasetError(
                f"{path} is readable by others (mode {mode:04o}): run chmod 600 {path}"
            )
        try:
            doc = json.load(f)
        except ValueError as exc:
            raise DatasetError(f"{path} is not valid JSON") from exc
    key = doc.get(ROBOFLOW_ENTRY) if isinstance(doc, dict) else None
    return key.strip() if isinstance(key, str) and key.strip() else None


def save_roboflow_key(key: str, home: Path | None = None) -> Path:
    """Store the key in the credentials file, created with mode 0600 from the start."""
    key = key.strip()
    if not key or any(c.isspace() for c in key):
        raise DatasetError("a Roboflow API key is one word")
    path = credentials_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc: dict[str, object] = {}
    if path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            doc = loaded if isinstance(loaded, dict) else {}
        except (OSError, ValueError):
            doc = {}
    doc[ROBOFLOW_ENTRY] = key
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o600)  # in case the umask or filesystem widened it
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def key_source(home: Path | None = None) -> str | None:
    """Where the key would come from ("environment" or the file), without the key."""
    if os.environ.get(ENV_VAR, "").strip():
        return "environment"
    if credentials_path(home).exists():
        return str(credentials_path(home))
    return None


def redact(text: str, secret: str | None) -> str:
    """``text`` with every occurrence of the secret replaced."""
    if not secret:
        return text
    return text.replace(secret, "***")
