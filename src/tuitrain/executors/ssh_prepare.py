"""What a recipe run needs on an SSH host, copied there before it starts.

A recipe's command names paths of this machine: tuitrain's runner scripts, the
dataset (a YOLO ``data.yaml``, a COCO folder, a RAVE database or folder of audio) and
maybe a weights file. Before launch, each is synced to the host (only the files that
changed, see :func:`~tuitrain.executors.ssh_transfer.sync_folder`) and the command is
rewritten to the host's copies:

- runners: ``<workdir>/runners/<tuitrain version>/``;
- a dataset folder: ``<workdir>/datasets/<install id>-<name>-<hash>/``;
- a ``data.yaml``: its dataset folder as above, and a copy of the yaml in the run
  folder whose ``path:`` (and any absolute split path) points at the host's copy;
- a weights file: ``<workdir>/models/<install id>-<folder>-<hash>/<file>``.

A path that does not exist here is taken as a path of the host and left alone. Every
failure is an ``OSError`` or a ``LaunchError`` with a one-line reason.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tuitrain import __version__
from tuitrain.executors.base import LaunchError
from tuitrain.executors.ssh import SshExecutor
from tuitrain.executors.ssh_transfer import SyncResult, remote_copy_dir, sync_folder

Report = Callable[[str], None]  # one line saying how the preparation goes
REPORT_EVERY_S = 0.5
RUN_DATA_YAML = "data.yaml"
_YAML_KEY = re.compile(r"^(path|train|val|test)\s*:\s*(.*?)\s*$")


def local_runners_dir() -> str:
    import tuitrain.runners

    return str(Path(tuitrain.runners.__file__).resolve().parent)


def human_size(n: int) -> str:
    """Bytes for people: ``812 B``, ``31.6 kB``, ``1.2 MB``, ``3.4 GB``."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


class SyncReporter:
    """Turns a sync's (files, bytes) progress into a few lines a second at most."""

    def __init__(self, report: Report, what: str, host: str) -> None:
        self.report = report
        self.what = what
        self.host = host
        self._last = 0.0

    def __call__(self, files: int, files_total: int, done: int, total: int) -> None:
        now = time.monotonic()
        if files_total == 0:
            return  # nothing to send: finished() says so
        if self._last and files < files_total and now - self._last < REPORT_EVERY_S:
            return  # the first and the last are always told
        self._last = now
        self.report(
            f"syncing {self.what} to {self.host}: {files}/{files_total} files, "
            f"{human_size(done)} of {human_size(total)}"
        )

    def finished(self, result: SyncResult) -> None:
        if result.sent:
            sent = f"{len(result.sent)} file(s) sent ({human_size(result.bytes_sent)})"
        else:
            sent = "nothing to send"
        self.report(f"{self.what} on {self.host}: {sent}, {result.unchanged} unchanged")


def _sync(
    executor: SshExecutor,
    local_dir: str,
    remote_dir: str,
    what: str,
    report: Report,
    names: list[str] | None = None,
) -> SyncResult:
    reporter = SyncReporter(report, what, executor.host)
    try:
        result = sync_folder(executor, local_dir, remote_dir, names=names, on_progress=reporter)
    except OSError as exc:
        reason = str(exc).removeprefix(f"{executor.host}: ")
        raise OSError(f"cannot sync {what} to {executor.host}: {reason}") from exc
    reporter.finished(result)
    return result


def swap_path(argv: list[str], old: str, new: str) -> list[str]:
    """``argv`` with the path ``old`` (a whole argument, the value of ``key=old``, or
    the start of a longer path) replaced by ``new``."""
    out = []
    for arg in argv:
        key, eq, value = arg.partition("=")
        if arg == old or arg.startswith(old + "/"):
            arg = new + arg[len(old) :]
        elif eq and (value == old or value.startswith(old + "/")):
            arg = f"{key}={new}{value[len(old) :]}"
        out.append(arg)
    return out


# -- data.yaml -------------------------------------------------------------------------
def _scalar(text: str) -> str | None:
    """A YAML scalar written plainly or quoted ("..." as JSON, '...'); None for lists,
    maps and empty values."""
    text = text.strip()
    if text.startswith('"'):
        try:
            value, _ = json.JSONDecoder().raw_decode(text)
        except ValueError:
            return None
        return value if isinstance(value, str) else None
    if text.startswith("'"):
        end = text.find("'", 1)
        return text[1:end] if end > 0 else None
    text = re.split(r"\s+#", text, maxsplit=1)[0].strip()
    if not text or text.startswith(("[", "{", "|", ">", "&", "*", "!")):
        return None
    return text


def yaml_root(yaml_path: str) -> tuple[str, dict[str, str]]:
    """The dataset folder of a data.yaml (its ``path:``, relative to the yaml's
    folder as the DETR runner reads it, else that folder) and its scalar keys."""
    try:
        lines = Path(yaml_path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise LaunchError(f"cannot read {yaml_path}: {exc}") from exc
    keys: dict[str, str] = {}
    for line in lines:
        match = _YAML_KEY.match(line)
        if match:
            value = _scalar(match.group(2))
            if value is not None:
                keys[match.group(1)] = value
    here = os.path.dirname(os.path.abspath(yaml_path))
    root = os.path.normpath(os.path.join(here, os.path.expanduser(keys.get("path", "."))))
    return root, keys


def remote_data_yaml(yaml_path: str, root: str, remote_root: str) -> str:
    """The data.yaml for the host: ``path:`` is the host's copy of ``root``, and any
    split given by an absolute path inside ``root`` follows it."""
    text = Path(yaml_path).read_text(encoding="utf-8")
    out = [f"path: {json.dumps(remote_root)}"]
    for line in text.splitlines():
        match = _YAML_KEY.match(line)
        if match and match.group(1) == "path":
            continue
        value = _scalar(match.group(2)) if match else None
        if match and value is not None and os.path.isabs(value):
            if os.path.commonpath([root, os.path.normpath(value)]) != root:
                raise LaunchError(
                    f"{yaml_path}: {match.group(1)}: {value} is outside the dataset folder "
                    f"{root}; cannot copy it to the host"
                )
            rel = os.path.relpath(os.path.normpath(value), root)
            line = f"{match.group(1)}: {json.dumps(rel)}"
        out.append(line.replace(root + "/", remote_root + "/"))
    return "\n".join(out) + "\n"


# -- the whole preparation --------------------------------------------------------------
def prepare_remote_run(
    executor: SshExecutor, cfg: dict[str, Any], run_dir: str, report: Report
) -> dict[str, Any]:
    """``cfg`` with its command pointing at copies on the host, made up to date."""
    command = list(cfg["command"])
    out = dict(cfg, params=dict(cfg.get("params") or {}))
    runners = local_runners_dir()
    if any(arg == runners or runners + "/" in arg for arg in command):
        remote = executor.workdir_path("runners", __version__)
        _sync(executor, runners, remote, "tuitrain's runners", report)
        command = [arg.replace(runners, remote) for arg in command]
    recipe = _recipe(str(cfg.get("framework") or ""))
    if recipe is not None:
        for name in sorted(recipe.path_params):
            value = out["params"].get(name)
            if not isinstance(value, str) or not os.path.isabs(value):
                continue
            if name == recipe.dataset_param:
                new = _dataset(executor, value, run_dir, report)
            else:
                new = _single_file(executor, value, report)
            if new is not None:
                command = swap_path(command, value, new)
                out["params"][name] = new
    out["command"] = command
    executor.write_files(run_dir, {"config.json": json.dumps(out, indent=2).encode()})
    return out


def _recipe(framework: str) -> Any:
    from tuitrain.frameworks import RECIPES

    return RECIPES.get(framework)


def _dataset(executor: SshExecutor, path: str, run_dir: str, report: Report) -> str | None:
    """The host's path for the dataset at ``path`` (synced), or None to keep ``path``."""
    if os.path.isdir(path):
        remote = remote_copy_dir(executor, path)
        _sync(executor, path, remote, f"dataset {os.path.basename(path)}", report)
        return remote
    if not os.path.isfile(path):
        return None  # not here: a path of the host
    if not path.lower().endswith((".yaml", ".yml")):
        return _single_file(executor, path, report)
    root, _keys = yaml_root(path)
    if not os.path.isdir(root):
        raise LaunchError(f"{path}: path: {root} is not a folder here")
    remote = remote_copy_dir(executor, root)
    yaml_text = remote_data_yaml(path, root, remote)
    _sync(executor, root, remote, f"dataset {os.path.basename(root)}", report)
    executor.write_files(run_dir, {RUN_DATA_YAML: yaml_text.encode()})
    return f"{run_dir}/{RUN_DATA_YAML}"


def _single_file(executor: SshExecutor, path: str, report: Report) -> str | None:
    """A file named by a parameter (weights to fine-tune), alone in its own folder."""
    if not os.path.isfile(path):
        return None
    folder, name = os.path.split(path)
    remote = remote_copy_dir(executor, folder, kind="models")
    _sync(executor, folder, remote, name, report, names=[name])
    return f"{remote}/{name}"
