"""Reading ``nvidia-smi --query-gpu=... --format=csv`` and ``--query-compute-apps``.

The real output has a header whose names carry their unit in brackets
(``memory.used [MiB]``, ``utilization.gpu [%]``), values that repeat the unit
(``29089 MiB``, ``100 %``), and ``[N/A]`` / ``[Not Supported]`` (older drivers:
``N/A``, ``Not Supported``) where a GPU cannot tell. Columns are found by name, so a
driver that reorders or adds columns changes nothing. With no driver, nvidia-smi
prints a sentence instead of CSV (and exits non-zero): :func:`snapshot_from_output`
turns each known sentence into a plain state.
"""

from __future__ import annotations

import csv
import io
import re

from tuitrain.gpus.model import GpuInfo, GpuProcess, GpuSnapshot, SnapshotState

GPU_FIELDS = (
    "index",
    "uuid",
    "name",
    "utilization.gpu",
    "memory.used",
    "memory.total",
    "temperature.gpu",
)
APP_FIELDS = ("pid", "gpu_uuid", "used_memory")


def query_gpu_args() -> list[str]:
    return [f"--query-gpu={','.join(GPU_FIELDS)}", "--format=csv"]


def query_apps_args() -> list[str]:
    return [f"--query-compute-apps={','.join(APP_FIELDS)}", "--format=csv"]


class SmiOutputError(ValueError):
    """The output is not the CSV that was asked for; the message says why."""


_UNIT = re.compile(r"\s*\[[^\]]*\]\s*$")
_NUMBER = re.compile(r"^[-+]?\d+(?:\.\d+)?")
_MISSING = {"", "n/a", "not supported", "unknown error", "gpu is lost", "insufficient permissions"}
# Aliases nvidia-smi accepts in queries and prints back under their long name.
_ALIASES = {"gpu_uuid": "uuid", "gpu_name": "name", "used_gpu_memory": "used_memory"}


def column_key(header: str) -> str:
    """``"memory.used [MiB]"`` -> ``"memory.used"``."""
    key = _UNIT.sub("", header.strip()).strip().lower()
    return _ALIASES.get(key, key)


def parse_number(text: str) -> float | None:
    """``"29089 MiB"`` -> 29089.0, ``"100 %"`` -> 100.0, ``"[N/A]"`` -> None."""
    value = text.strip()
    if value.strip("[]").strip().lower() in _MISSING:
        return None
    match = _NUMBER.match(value)
    return float(match.group()) if match else None


def _text(value: str) -> str | None:
    value = value.strip()
    return None if value.strip("[]").strip().lower() in _MISSING else value


def read_table(output: str) -> list[dict[str, str]]:
    """Rows of a ``--format=csv`` output keyed by column name (units dropped)."""
    lines = [line for line in output.splitlines() if line.strip()]
    if not lines:
        return []
    rows = list(csv.reader(io.StringIO("\n".join(lines)), skipinitialspace=True))
    header = [column_key(h) for h in rows[0]]
    table = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise SmiOutputError(
                f"nvidia-smi output line {number} has {len(row)} fields, "
                f"the header {len(header)}: {lines[number - 1][:80]!r}"
            )
        table.append(dict(zip(header, row, strict=True)))
    return table


def parse_gpus(output: str) -> list[GpuInfo]:
    """The GPUs of a ``--query-gpu=...`` CSV output (with its header)."""
    table = read_table(output)
    if table and "index" not in table[0]:
        raise SmiOutputError("nvidia-smi output has no index column (was --format=csv used?)")
    gpus = []
    for row in table:
        index = parse_number(row["index"])
        if index is None:
            raise SmiOutputError(f"nvidia-smi gave a GPU without an index: {row['index']!r}")
        gpus.append(
            GpuInfo(
                index=int(index),
                name=_text(row.get("name", "")) or "",
                uuid=_text(row.get("uuid", "")),
                utilization=parse_number(row.get("utilization.gpu", "")),
                memory_used_mib=parse_number(row.get("memory.used", "")),
                memory_total_mib=parse_number(row.get("memory.total", "")),
                temperature_c=parse_number(row.get("temperature.gpu", "")),
            )
        )
    return sorted(gpus, key=lambda g: g.index)


def parse_processes(output: str) -> list[GpuProcess]:
    """The compute processes of a ``--query-compute-apps=pid,gpu_uuid,used_memory`` output."""
    procs = []
    for row in read_table(output):
        pid = parse_number(row.get("pid", ""))
        uuid = _text(row.get("uuid", ""))
        if pid is None or uuid is None:
            continue
        procs.append(GpuProcess(int(pid), uuid, parse_number(row.get("used_memory", ""))))
    return procs


# What nvidia-smi says (on stdout, exit code 9 or so) when it cannot give numbers.
_NO_DRIVER = (
    "couldn't communicate with the nvidia driver",
    "couldn‘t communicate with the nvidia driver",
    "failed to initialize nvml",
    "driver/library version mismatch",
    "nvml library not found",
    "unable to determine the device handle",
)
_NO_DEVICE = ("no devices were found", "no devices found")
_NOT_INSTALLED = ("command not found", "no such file or directory", "not found")


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


def snapshot_from_output(
    host: str,
    returncode: int,
    stdout: str,
    stderr: str,
    apps_stdout: str = "",
) -> GpuSnapshot:
    """A snapshot of what ``nvidia-smi --query-gpu`` answered (and, when it worked,
    what ``--query-compute-apps`` answered)."""
    said = f"{stdout}\n{stderr}"
    lowered = said.lower()
    if any(s in lowered for s in _NO_DRIVER):
        line = _first_line(stdout if any(s in stdout.lower() for s in _NO_DRIVER) else stderr)
        return GpuSnapshot(host, SnapshotState.NO_DRIVER, message=f"no NVIDIA driver: {line}")
    if any(s in lowered for s in _NO_DEVICE):
        return GpuSnapshot(host, SnapshotState.NO_GPU, message="no GPU: nvidia-smi found none")
    if returncode == 127 or (returncode != 0 and any(s in lowered for s in _NOT_INSTALLED)):
        return GpuSnapshot(
            host,
            SnapshotState.NOT_INSTALLED,
            message="no GPU: nvidia-smi is not installed (no NVIDIA driver)",
        )
    if returncode != 0:
        line = _first_line(stderr) or _first_line(stdout) or f"exit code {returncode}"
        return GpuSnapshot(host, SnapshotState.ERROR, message=f"nvidia-smi failed: {line}")
    try:
        gpus = parse_gpus(stdout)
        procs = parse_processes(apps_stdout) if apps_stdout.strip() else []
    except SmiOutputError as exc:
        return GpuSnapshot(host, SnapshotState.ERROR, message=str(exc))
    if not gpus:
        return GpuSnapshot(host, SnapshotState.NO_GPU, message="no GPU: nvidia-smi listed none")
    return GpuSnapshot(host, SnapshotState.OK, tuple(gpus), tuple(procs))
