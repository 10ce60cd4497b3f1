"""Training environments per host, from ``TUITRAIN_HOME/config.toml``.

The UI process never imports the ML libraries: each framework runs in an environment
the user names per host, a Python interpreter or a command prefix::

    [hosts.local.environments]
    yolo = "/opt/envs/yolo/bin/python"        # an interpreter
    detr = "/opt/envs/yolo/bin/python"
    rave = "conda run --no-capture-output -n rave"   # a prefix: runs `python`, `rave` in it
    default = "/opt/envs/ml/bin/python"       # any framework not named

    [hosts.gpu1]
    runners_dir = "/srv/tuitrain/runners"     # where tuitrain's runners are on that host

A value of one word is an interpreter; several words are a prefix put before the
command (with ``python`` and the framework's tools found inside it). A table
``{ python = "...", prefix = "..." }`` sets both. A framework with no entry runs in the
interpreter running tuitrain.
"""

from __future__ import annotations

import os
import shlex
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tuitrain.paths import tuitrain_home

CONFIG_FILE = "config.toml"
FRAMEWORKS = ("yolo", "detr", "rave")


class SettingsError(ValueError):
    """``config.toml`` cannot be used; the message says where and why, in one line."""


@dataclass(frozen=True, slots=True)
class Environment:
    """Where a framework runs on a host: ``prefix`` (maybe empty) then ``python``."""

    framework: str
    host: str
    python: str
    prefix: tuple[str, ...] = ()
    configured: bool = False  # False: the default, the interpreter running tuitrain

    def describe(self) -> str:
        where = " ".join([*self.prefix, self.python])
        return where if self.configured else f"{where} (default: tuitrain's own interpreter)"


def config_path(home: Path | None = None) -> Path:
    return (home or tuitrain_home()) / CONFIG_FILE


def load_settings(home: Path | None = None) -> dict[str, Any]:
    """The parsed ``config.toml`` ({} when there is none)."""
    path = config_path(home)
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        return {}
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SettingsError(f"cannot read {path}: {exc}") from exc


def _host_table(settings: Mapping[str, Any], host: str) -> Mapping[str, Any]:
    hosts = settings.get("hosts") or {}
    table = hosts.get(host) if isinstance(hosts, Mapping) else None
    return table if isinstance(table, Mapping) else {}


def parse_environment(framework: str, host: str, value: object) -> Environment:
    """One entry of ``[hosts.HOST.environments]`` (``~`` is the host's own home, so it
    is expanded here only for the local host)."""
    where = f"{CONFIG_FILE}: hosts.{host}.environments.{framework}"
    expanduser = os.path.expanduser if host == "local" else str
    if isinstance(value, str):
        words = shlex.split(value)
        if not words:
            raise SettingsError(f"{where} is empty")
        if len(words) == 1:
            return Environment(framework, host, expanduser(words[0]), (), True)
        return Environment(framework, host, "python", tuple(words), True)
    if isinstance(value, Mapping):
        python = value.get("python", "python")
        prefix = value.get("prefix", "")
        if not isinstance(python, str) or not python or not isinstance(prefix, str):
            raise SettingsError(f"{where}: python and prefix must be texts")
        return Environment(framework, host, expanduser(python), tuple(shlex.split(prefix)), True)
    raise SettingsError(f"{where} must be a python path, a command prefix or a table")


def environment_for(
    framework: str, host: str = "local", settings: Mapping[str, Any] | None = None
) -> Environment:
    """The environment ``framework`` runs in on ``host``."""
    settings = load_settings() if settings is None else settings
    envs = _host_table(settings, host).get("environments") or {}
    if not isinstance(envs, Mapping):
        raise SettingsError(f"{CONFIG_FILE}: hosts.{host}.environments must be a table")
    for key in (framework, "default"):
        if key in envs:
            return parse_environment(key if key == framework else framework, host, envs[key])
    # An SSH host has no environment of ours: its python3 unless config.toml says more.
    return Environment(framework, host, sys.executable if host == "local" else "python3")


def environments(host: str = "local", home: Path | None = None) -> list[Environment]:
    """The environment of every framework on ``host``."""
    settings = load_settings(home)
    return [environment_for(f, host, settings) for f in FRAMEWORKS]


def runners_dir(host: str = "local", settings: Mapping[str, Any] | None = None) -> str:
    """Where tuitrain's runner scripts are on ``host`` (this package's own folder unless
    ``[hosts.HOST] runners_dir`` says otherwise)."""
    settings = load_settings() if settings is None else settings
    value = _host_table(settings, host).get("runners_dir")
    if isinstance(value, str) and value:
        return os.path.expanduser(value)
    import tuitrain.runners

    return str(Path(tuitrain.runners.__file__).resolve().parent)
