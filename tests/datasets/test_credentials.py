"""The Roboflow key: environment first, else one 0600 file under TUITRAIN_HOME."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tuitrain.datasets.credentials import (
    credentials_path,
    key_source,
    load_roboflow_key,
    redact,
    save_roboflow_key,
)
from tuitrain.datasets.errors import DatasetError


def test_saved_key_is_private_and_loaded(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ROBOFLOW_API_KEY", raising=False)
    assert load_roboflow_key() is None and key_source() is None
    path = save_roboflow_key("secretKey123")
    assert path == credentials_path() == home / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_roboflow_key() == "secretKey123"
    assert key_source() == str(path)
    assert sorted(p.name for p in home.iterdir()) == ["credentials.json"]  # no temp file left
    monkeypatch.setenv("ROBOFLOW_API_KEY", "fromEnv")
    assert load_roboflow_key() == "fromEnv" and key_source() == "environment"


def test_a_readable_credentials_file_is_refused(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROBOFLOW_API_KEY", raising=False)
    path = save_roboflow_key("secretKey123")
    os.chmod(path, 0o644)
    with pytest.raises(DatasetError, match="readable by others"):
        load_roboflow_key()


def test_bad_keys_and_redaction(home: Path) -> None:
    with pytest.raises(DatasetError, match="one word"):
        save_roboflow_key("two words")
    assert redact("GET /x?api_key=abc123 failed", "abc123") == "GET /x?api_key=*** failed"
    assert redact("nothing", None) == "nothing"
