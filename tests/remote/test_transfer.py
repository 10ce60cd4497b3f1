"""Dataset sync to the host (only what changed) and artifacts fetched back."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from tests.conftest import cli
from tests.remote.sshd import SshServer
from tuitrain.executors.ssh import SshExecutor
from tuitrain.executors.ssh_transfer import remote_copy_dir, sync_folder
from tuitrain.runs.events import RunEvent, RunFinished
from tuitrain.runs.manager import TrainingManager
from tuitrain.runs.states import RunStatus

WRITE_WEIGHTS = """
import os, sys
os.makedirs(sys.argv[1] + "/weights", exist_ok=True)
with open(sys.argv[1] + "/weights/best.pt", "wb") as fh:
    fh.write(bytes(range(256)) * 4096)
print("saved", flush=True)
"""


def make_dataset(root: Path) -> Path:
    data = root / "my data"
    for split in ("train", "val"):
        (data / "images" / split).mkdir(parents=True)
        for i in range(3):
            (data / "images" / split / f"{i}.jpg").write_bytes(os.urandom(5000 + i))
    (data / "data.yaml").write_text("train: images/train\nval: images/val\nnames: [a]\n")
    return data


def test_sync_copies_only_what_changed(remote_manager: TrainingManager, tmp_path: Path) -> None:
    executor = remote_manager.executor_for("gpu")
    assert isinstance(executor, SshExecutor)
    data = make_dataset(tmp_path)
    remote = remote_copy_dir(executor, str(data))
    seen: list[tuple[int, int]] = []
    first = sync_folder(executor, str(data), remote, lambda done, total: seen.append((done, total)))
    assert len(first.sent) == 7 and first.unchanged == 0
    assert seen[-1][0] == seen[-1][1] == first.bytes_sent > 30000
    for rel in first.sent:
        assert Path(remote, rel).read_bytes() == (data / rel).read_bytes()
    again = sync_folder(executor, str(data), remote)
    assert again.sent == [] and again.unchanged == 7 and again.bytes_sent == 0
    (data / "images" / "val" / "0.jpg").write_bytes(b"changed")
    (data / "images" / "val" / "new.jpg").write_bytes(b"new")
    third = sync_folder(executor, str(data), remote)
    assert third.sent == ["images/val/0.jpg", "images/val/new.jpg"] and third.unchanged == 6
    assert Path(remote, "images/val/0.jpg").read_bytes() == b"changed"


async def test_fetch_copies_a_remote_artifact_back(
    remote_manager: TrainingManager, remote_home: Path, tmp_path: Path, sshd: SshServer
) -> None:
    finished = asyncio.Event()  # published once the models are registered

    def on_events(events: list[RunEvent]) -> None:
        if any(isinstance(e, RunFinished) for e in events):
            finished.set()

    remote_manager.subscribe(on_events)
    rid = await remote_manager.start_training(
        {
            "name": "weights",
            "host": "gpu",
            "framework": "yolo",
            "command": [sys.executable, "-c", WRITE_WEIGHTS, "{run_dir}"],
        }
    )
    exp = await remote_manager.wait(rid)
    assert exp.status == RunStatus.COMPLETED, exp.error_summary
    await asyncio.wait_for(finished.wait(), 30)
    (model,) = remote_manager.store.models(rid)
    assert model.path == f"{exp.run_dir}/weights/best.pt"
    out = tmp_path / "fetched"
    done = cli(remote_home, "fetch", str(model.id), "--to", str(out), check=True)
    local = out / f"run{rid}" / "weights" / "best.pt"
    assert done.stdout.strip() == str(local)
    assert local.read_bytes() == Path(model.path).read_bytes()
    assert "best.pt" in done.stderr and "100%" in done.stderr
    assert not list(local.parent.glob(".*.part"))
    missing = cli(remote_home, "fetch", "999")
    assert missing.returncode == 2 and "no model 999" in missing.stderr
    listed = json.loads(cli(remote_home, "models", "--json", check=True).stdout)
    assert listed[0]["path"] == model.path
