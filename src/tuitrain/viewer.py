"""Open a file in the user's image viewer or labeling tool, without a shell.

Which program, first found wins:

- viewer: ``TUITRAIN_VIEWER``, then ``[viewer] command`` in ``config.toml``, then the
  platform's opener (``open`` on macOS, ``xdg-open`` where a display is set);
- labeling tool: ``TUITRAIN_LABELING_TOOL``, then ``[viewer] labeling_tool``.

A command is split with :mod:`shlex` into argv and the file is appended as its own
argument, so a name with spaces or ``;`` is passed as is and runs nothing. The program
starts in its own session with no terminal (stdin, stdout and stderr to /dev/null) and
the call returns at once; a daemon thread reaps it and reports a failed exit.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from tuitrain.frameworks.environments import CONFIG_FILE, SettingsError, load_settings

Tool = Literal["viewer", "labeling_tool"]
ENV_VARS: dict[str, str] = {"viewer": "TUITRAIN_VIEWER", "labeling_tool": "TUITRAIN_LABELING_TOOL"}
CONFIG_KEYS: dict[str, str] = {"viewer": "command", "labeling_tool": "labeling_tool"}
NAMES: dict[str, str] = {"viewer": "image viewer", "labeling_tool": "labeling tool"}


class ViewerError(ValueError):
    """The file cannot be opened; the message says why, in one line."""


@dataclass(frozen=True, slots=True)
class ViewerCommand:
    argv: tuple[str, ...]
    source: str  # where it came from, for error messages: "TUITRAIN_VIEWER", ...


def has_display(environ: Mapping[str, str] | None = None) -> bool:
    """Whether a graphical viewer could show anything (macOS always can)."""
    env = os.environ if environ is None else environ
    return sys.platform == "darwin" or bool(env.get("DISPLAY") or env.get("WAYLAND_DISPLAY"))


def viewer_command(
    tool: str = "viewer",
    home: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> ViewerCommand:
    """The argv (without the file) that opens a file with ``tool``."""
    if tool not in ENV_VARS:
        raise ViewerError(f"unknown tool {tool!r}: choose viewer or labeling_tool")
    env = os.environ if environ is None else environ
    variable = ENV_VARS[tool]
    if env.get(variable, "").strip():
        return ViewerCommand(_split(env[variable], variable), variable)
    key = f"viewer.{CONFIG_KEYS[tool]}"
    configured = _config_value(home, CONFIG_KEYS[tool])
    if configured is not None:
        return ViewerCommand(_split(configured, f"{CONFIG_FILE} {key}"), f"{CONFIG_FILE} {key}")
    if tool == "labeling_tool":
        raise ViewerError(
            f"no labeling tool configured: set [viewer] labeling_tool in {CONFIG_FILE} "
            f"or {variable} (e.g. labelImg)"
        )
    opener = _platform_opener(env)
    if opener is None:
        raise ViewerError(
            f"no image viewer: no display here; set {variable} or [viewer] command in "
            f"{CONFIG_FILE} (the in-terminal preview shows the image meanwhile)"
        )
    return ViewerCommand((opener,), "the platform's opener")


def open_external(
    path: Path,
    *,
    tool: str = "viewer",
    home: Path | None = None,
    on_failure: Callable[[str], None] | None = None,
) -> None:
    """Start ``tool`` on ``path`` and return at once.

    Raises :class:`ViewerError` when there is nothing to start or it cannot start;
    ``on_failure`` (called from a reaper thread) hears of a program that then exits
    with an error.
    """
    if not path.is_file():
        raise ViewerError(f"no such file to open: {path}")
    command = viewer_command(tool, home)
    argv = [*command.argv, str(path)]
    try:
        proc = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
    except FileNotFoundError as exc:
        raise ViewerError(f"{NAMES[tool]} {argv[0]!r} not found (from {command.source})") from exc
    except OSError as exc:
        raise ViewerError(f"cannot start {argv[0]!r} (from {command.source}): {exc}") from exc
    threading.Thread(
        target=_reap, args=(proc, argv[0], on_failure), name="viewer-reaper", daemon=True
    ).start()


def _reap(
    proc: subprocess.Popen[bytes], program: str, on_failure: Callable[[str], None] | None
) -> None:
    code = proc.wait()
    if code != 0 and on_failure is not None:
        on_failure(f"{program} exited with code {code}")


def _split(value: str, where: str) -> tuple[str, ...]:
    try:
        words = shlex.split(value)
    except ValueError as exc:
        raise ViewerError(f"{where}: cannot split {value!r}: {exc}") from exc
    if not words:
        raise ViewerError(f"{where} is empty")
    return (os.path.expanduser(words[0]), *words[1:])


def _config_value(home: Path | None, key: str) -> str | None:
    try:
        settings: dict[str, Any] = load_settings(home)
    except SettingsError as exc:
        raise ViewerError(str(exc)) from exc
    table = settings.get("viewer")
    if not isinstance(table, Mapping) or key not in table:
        return None
    value = table[key]
    if not isinstance(value, str):
        raise ViewerError(f"{CONFIG_FILE}: viewer.{key} must be a command (a text)")
    return value if value.strip() else None


def _platform_opener(env: Mapping[str, str]) -> str | None:
    if sys.platform == "darwin":
        return "open"
    if not has_display(env):
        return None
    return shutil.which("xdg-open")
