"""Files to and from an SSH host over its master connection.

- :func:`sync_folder`: a local folder (a dataset, tuitrain's runners) copied to the host,
  only the files whose size or modification time differ from the host's copy (one
  remote listing), sent as one tar stream (``tar`` is on every host; ``rsync`` may not
  be), with progress.
- :func:`fetch_file`: a file of the host (an artifact) streamed back with ``cat``, with
  progress, into a temporary file renamed at the end (never half a file).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tarfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from tuitrain.executors import ssh_scripts as scripts
from tuitrain.executors.ssh import SshExecutor
from tuitrain.executors.ssh_connection import classify_failure, shell_script

Progress = Callable[[int, int], None]  # (bytes done, bytes in all)
# (files done, files to send, bytes done, bytes to send)
SyncProgress = Callable[[int, int, int, int], None]
CHUNK = 1 << 20

UNTAR = r"""
mkdir -p "$1" && cd "$1" && tar -x -f - --no-same-owner
"""


@dataclass
class SyncResult:
    remote_dir: str
    sent: list[str] = field(default_factory=list)  # relative paths copied this time
    unchanged: int = 0
    bytes_sent: int = 0


def remote_copy_dir(executor: SshExecutor, local_dir: str, kind: str = "datasets") -> str:
    """Where a local folder goes on the host: this installation's id, the folder's name
    and a hash of its full path, so two folders of the same name (or two laptops'
    folders of the same path) never share a copy."""
    local_dir = os.path.abspath(local_dir)
    digest = hashlib.sha1(local_dir.encode()).hexdigest()[:8]
    name = f"{os.path.basename(local_dir) or 'root'}-{digest}"
    if executor.install_id:
        name = f"{executor.install_id}-{name}"
    return executor.workdir_path(kind, name)


def tar_failure(stderr: str) -> str:
    """The one line that says why ``tar -x`` (or the ``mkdir`` before it) failed."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    lines = [ln for ln in lines if "exiting with failure status" not in ln.lower()]
    if not lines:
        return "the copy ended early"
    low = "\n".join(lines).lower()
    if "no space left on device" in low:
        return f"disk full on the host ({lines[0]})"
    if "permission denied" in low:
        return f"permission denied on the host ({lines[0]})"
    return lines[0]


def _local_listing(folder: Path) -> dict[str, tuple[int, int]]:
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder} is not a folder")
    found: dict[str, tuple[int, int]] = {}
    for root, dirs, files in os.walk(folder):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            path = Path(root, name)
            info = path.stat()
            found[path.relative_to(folder).as_posix()] = (info.st_size, int(info.st_mtime))
    return found


def _remote_listing(executor: SshExecutor, folder: str) -> dict[str, tuple[int, int]]:
    raw = executor._sh(scripts.LIST, folder)
    found: dict[str, tuple[int, int]] = {}
    prefix = folder.rstrip("/") + "/"
    for entry in raw.split(b"\0"):
        size, _, rest = entry.partition(b" ")
        mtime, _, path = rest.partition(b" ")
        if path:
            rel = path.decode(errors="surrogateescape").removeprefix(prefix)
            found[rel] = (int(size), int(float(mtime)))
    return found


class _Counting:
    """A file object that reports how much was read from it."""

    def __init__(self, fh: IO[bytes], seen: Callable[[int], None]) -> None:
        self.fh = fh
        self.seen = seen

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.seen(len(data))
        return data


def sync_folder(
    executor: SshExecutor,
    local_dir: str,
    remote_dir: str,
    progress: Progress | None = None,
    names: Collection[str] | None = None,
    on_progress: SyncProgress | None = None,
) -> SyncResult:
    """Copy to ``remote_dir`` what changed in ``local_dir`` since the last sync (only
    the files ``names``, relative paths, when given). ``progress`` hears bytes,
    ``on_progress`` files and bytes."""
    folder = Path(local_dir)
    local = _local_listing(folder)
    if names is not None:
        local = {rel: meta for rel, meta in local.items() if rel in names}
    remote = _remote_listing(executor, remote_dir)
    changed = sorted(rel for rel, meta in local.items() if remote.get(rel) != meta)
    result = SyncResult(remote_dir, changed, len(local) - len(changed))
    total = sum(local[rel][0] for rel in changed)
    files_done = 0
    if on_progress:
        on_progress(0, len(changed), 0, total)
    if not changed:
        if progress:
            progress(0, 0)
        return result
    proc = executor.connection.popen(
        shell_script(UNTAR, remote_dir),
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None

    def seen(n: int) -> None:
        result.bytes_sent += n
        if progress:
            progress(result.bytes_sent, total)
        if on_progress:
            on_progress(files_done, len(changed), result.bytes_sent, total)

    try:
        with tarfile.open(fileobj=proc.stdin, mode="w|", format=tarfile.PAX_FORMAT) as tar:
            for rel in changed:
                info = tar.gettarinfo(str(folder / rel), arcname=rel)
                info.uid = info.gid = 0
                info.uname = info.gname = ""
                with open(folder / rel, "rb") as fh:
                    tar.addfile(info, _Counting(fh, seen))
                files_done += 1
                if on_progress:
                    on_progress(files_done, len(changed), result.bytes_sent, total)
        proc.stdin.close()
    except BrokenPipeError:
        pass
    except BaseException:
        proc.kill()  # a local file that cannot be read: leave no half-fed tar behind
        proc.wait()
        raise
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    code = proc.wait()
    if code == 255:
        raise classify_failure(executor.connection.target, err)
    if code != 0:
        raise OSError(f"{executor.host}: copying to {remote_dir} failed: {tar_failure(err)}")
    return result


def fetch_file(
    executor: SshExecutor, remote_path: str, local_path: str, progress: Progress | None = None
) -> int:
    """Copy one file of the host to ``local_path``; its size."""
    size = executor.file_size(remote_path)
    if size is None:
        raise FileNotFoundError(f"{executor.host}:{remote_path} does not exist")
    target = Path(local_path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.part")
    proc = executor.connection.popen(
        ["cat", remote_path], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None
    done = 0
    with open(tmp, "wb") as out:
        while chunk := proc.stdout.read(CHUNK):
            out.write(chunk)
            done += len(chunk)
            if progress:
                progress(done, size)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.wait() != 0 or done < size:
        tmp.unlink(missing_ok=True)
        raise OSError(f"{executor.host}: fetching {remote_path} failed: {err.strip()[-300:]}")
    os.replace(tmp, target)
    return done
