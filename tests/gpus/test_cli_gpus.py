"""``tuitrain gpus`` through the real CLI: "no GPU" on this machine, and a host whose
nvidia-smi is a recorded two-GPU output, one GPU held by a queued-then-started run."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import cli
from tests.gpus.support import child, write_gpu_config


def test_no_gpu_here_is_said_plainly(home: Path) -> None:
    write_gpu_config(home, smi="/nonexistent/nvidia-smi")
    done = cli(home, "gpus", check=True)
    assert done.stdout.splitlines()[0] == (
        "local: no GPU: nvidia-smi is not installed (no NVIDIA driver)"
    )
    (doc,) = [
        d
        for d in json.loads(cli(home, "gpus", "--json", check=True).stdout)
        if d["host"] == "local"
    ]
    assert doc["state"] == "not_installed" and doc["gpus"] == []


def test_two_recorded_gpus_one_used_by_a_run(home: Path, tmp_path: Path) -> None:
    write_gpu_config(home, memory=50, utilization=100)
    release = tmp_path / "go"
    try:
        rid = cli(home, "run", "--name", "held", "--gpus", "1", "--", *child(release), check=True)
        text = cli(home, "gpus", "local", check=True).stdout.splitlines()
        assert text[0] == "local: 2 GPUs"
        assert text[1].startswith("  [2] NVIDIA H100 80GB HBM3  util 100%  mem 28.4/80 GiB  35°C")
        assert text[1].endswith(f"#{rid.stdout.strip()} held")
        assert text[2].endswith("29°C  -")
        (doc,) = json.loads(cli(home, "gpus", "local", "--json", check=True).stdout)
        assert doc["gpus"][0]["experiments"] == [int(rid.stdout)]
        assert doc["gpus"][1]["busy"] is None and doc["gpus"][1]["memory_total_mib"] == 81559
    finally:
        release.touch()
    cli(home, "wait", rid.stdout.strip(), check=True)
