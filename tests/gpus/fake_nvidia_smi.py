"""Stands in for ``nvidia-smi`` on a machine without GPUs: prints a recorded output.

    fake_nvidia_smi.py GPUS_FILE [--apps APPS_FILE] [--exit N] <nvidia-smi arguments>

``--query-gpu=...`` prints GPUS_FILE (exit status N, 0 by default: 9 is what
nvidia-smi returns without a driver); ``--query-compute-apps=...`` prints APPS_FILE,
or only the header real nvidia-smi prints when no process uses a GPU.
"""

from __future__ import annotations

import sys
from pathlib import Path

APPS_HEADER = "pid, gpu_uuid, used_gpu_memory [MiB]\n"


def main(argv: list[str]) -> int:
    gpus_file = Path(argv[0])
    apps_file: Path | None = None
    code = 0
    rest = argv[1:]
    while rest and rest[0] in ("--apps", "--exit"):
        if rest[0] == "--apps":
            apps_file = Path(rest[1])
        else:
            code = int(rest[1])
        rest = rest[2:]
    if any(a.startswith("--query-compute-apps") for a in rest):
        sys.stdout.write(apps_file.read_text() if apps_file else APPS_HEADER)
        return 0
    if any(a.startswith("--query-gpu") for a in rest):
        sys.stdout.write(gpus_file.read_text())
        return code
    print(f"fake nvidia-smi: unexpected arguments {rest}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
