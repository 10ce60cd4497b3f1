"""Recipe runs on an SSH host: the dataset and tuitrain's runners are synced there
before launch (only what changed), the command and the data.yaml point at the host's
copies, and a failed sync fails the run with one line, launching nothing."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import cli
from tests.frameworks.real_support import tiny_yolo_dataset
from tests.remote.sshd import SshServer
from tuitrain.executors.base import LaunchError
from tuitrain.executors.ssh import SshExecutor
from tuitrain.executors.ssh_prepare import local_runners_dir, remote_data_yaml, yaml_root
from tuitrain.executors.ssh_transfer import remote_copy_dir, tar_failure
from tuitrain.frameworks import complete_config
from tuitrain.runs.events import RunEvent, StatusChanged
from tuitrain.runs.manager import TrainingManager
from tuitrain.runs.states import RunStatus

READ_DATASET = """
import os, sys
root = [l.split(":", 1)[1].strip().strip('"') for l in open(sys.argv[1]) if l.startswith("path:")][0]
images = sorted(os.listdir(os.path.join(root, "images", "train")))
print(root, len(images))
"""


def yolo_config(data: Path, name: str = "remote-yolo") -> dict[str, Any]:
    params = {"data": str(data), "model": "yolo11n.yaml", "epochs": 1, "imgsz": 64}
    return {"name": name, "framework": "yolo", "host": "gpu", "params": params}


def test_prepare_syncs_the_dataset_and_runners_and_rewrites_the_paths(
    remote_manager: TrainingManager, sshd: SshServer, tmp_path: Path
) -> None:
    executor = remote_manager.executor_for("gpu")
    assert isinstance(executor, SshExecutor)
    data = tiny_yolo_dataset(tmp_path / "ducks")
    cfg = complete_config(yolo_config(data))
    local_runner = cfg["command"][1]
    assert local_runner.startswith(local_runners_dir())
    run_dir = executor.run_dir_for(9999, tmp_path)
    lines: list[str] = []
    prepared = executor.prepare_run(cfg, run_dir, lines.append)

    runner = prepared["command"][1]
    assert runner == f"{sshd.workdir}/runners/0.1.0/yolo.py"
    assert Path(runner).read_bytes() == Path(local_runner).read_bytes()
    assert f"data={run_dir}/data.yaml" in prepared["command"]
    assert prepared["params"]["data"] == f"{run_dir}/data.yaml"
    # The yaml of the run names the host's copy, which holds every file of the dataset.
    root, keys = yaml_root(f"{run_dir}/data.yaml")
    assert root.startswith(f"{sshd.workdir}/datasets/{executor.install_id}-ducks-")
    assert keys["train"] == "images/train" and keys["val"] == "images/val"
    local_files = sorted(p.relative_to(data.parent) for p in data.parent.rglob("*") if p.is_file())
    remote_files = sorted(p.relative_to(root) for p in Path(root).rglob("*") if p.is_file())
    assert remote_files == local_files and len(local_files) == 49
    # The host reads the dataset through the rewritten yaml (its own python, over ssh).
    read = executor.run_command(["python3", "-c", READ_DATASET, f"{run_dir}/data.yaml"])
    assert read.stdout.split() == [root, "16"], read.stderr
    assert json.loads(Path(run_dir, "config.json").read_text())["command"] == prepared["command"]
    assert any(line.startswith("syncing dataset ducks to gpu: ") for line in lines), lines
    assert "dataset ducks on gpu: 49 file(s) sent" in lines[-1]

    # Again: nothing changed, nothing sent; one image changed: only it.
    lines.clear()
    executor.prepare_run(cfg, run_dir, lines.append)
    assert [ln for ln in lines if "sent" in ln] == []
    assert "dataset ducks on gpu: nothing to send, 49 unchanged" in lines
    (data.parent / "images" / "train" / "train_000.png").write_bytes(b"not really")
    lines.clear()
    executor.prepare_run(cfg, run_dir, lines.append)
    assert any("dataset ducks on gpu: 1 file(s) sent" in ln for ln in lines), lines


def test_the_cli_shows_the_sync_and_a_second_run_sends_nothing(
    remote_home: Path, tmp_path: Path
) -> None:
    data = tiny_yolo_dataset(tmp_path / "geese")
    args = ["run", "--name", "sync", "--framework", "yolo", "--host", "gpu"]
    args += ["--dataset", str(data), "--set", "epochs=1", "--set", "imgsz=64"]
    first = cli(remote_home, *args, check=True)
    assert first.stdout.strip().isdigit()
    assert "tuitrain: syncing dataset geese to gpu: 0/49 files" in first.stderr
    assert "tuitrain: dataset geese on gpu: 49 file(s) sent" in first.stderr
    second = cli(remote_home, *args, check=True)
    assert "tuitrain: dataset geese on gpu: nothing to send, 49 unchanged" in second.stderr
    assert "syncing dataset" not in second.stderr


async def test_a_failed_sync_fails_the_run_with_one_line_and_launches_nothing(
    remote_manager: TrainingManager, sshd: SshServer, tmp_path: Path
) -> None:
    data = tiny_yolo_dataset(tmp_path / "swans")
    events: list[RunEvent] = []
    remote_manager.subscribe(events.extend)
    executor = remote_manager.executor_for("gpu")
    assert isinstance(executor, SshExecutor)
    blocker = Path(remote_copy_dir(executor, str(data.parent)))
    blocker.parent.mkdir(parents=True, exist_ok=True)
    blocker.write_text("a file where the dataset's copy goes")
    try:
        rid = await remote_manager.start_training(yolo_config(data, "blocked"))
    finally:
        blocker.unlink()
    exp = remote_manager.get_experiment(rid)
    assert exp.status == RunStatus.FAILED and exp.pid is None
    reason = exp.error_summary or ""
    assert reason.startswith("cannot sync dataset swans to gpu: "), reason
    assert "\n" not in reason and ("Not a directory" in reason or "File exists" in reason)
    assert not Path(exp.run_dir, "output.log").exists()  # nothing was started
    await remote_manager.events.flush()
    assert any(isinstance(e, StatusChanged) and "syncing" in e.reason for e in events)


def test_an_unreachable_host_fails_the_sync_with_one_line(
    remote_home: Path, sshd: SshServer, tmp_path: Path
) -> None:
    from tuitrain.hosts import build_executors

    (remote_home / "config.toml").write_text(sshd.hosts_toml("down", "tuitrain-closed"))
    executor = build_executors(remote_home)["down"]
    data = tiny_yolo_dataset(tmp_path / "ducks")
    cfg = complete_config({**yolo_config(data), "host": "down"})
    with pytest.raises(OSError) as caught:
        executor.prepare_run(cfg, "/nowhere", lambda line: None)
    message = str(caught.value)
    assert message.startswith("cannot sync tuitrain's runners to down: tuitrain-closed unreachable")
    assert "\n" not in message


def test_tar_failures_are_told_in_one_line() -> None:
    full = (
        "tar: images/a.png: Cannot write: No space left on device\n"
        "tar: Exiting with failure status due to previous errors\n"
    )
    assert tar_failure(full) == (
        "disk full on the host (tar: images/a.png: Cannot write: No space left on device)"
    )
    denied = "mkdir: cannot create directory '/srv/x': Permission denied\n"
    assert tar_failure(denied).startswith("permission denied on the host (mkdir: ")
    assert tar_failure("") == "the copy ended early"


def test_a_data_yaml_with_absolute_splits_follows_the_copy(tmp_path: Path) -> None:
    root = tmp_path / "set"
    (root / "images" / "train").mkdir(parents=True)
    yaml = root / "data.yaml"
    yaml.write_text(f"train: {root}/images/train\nval: '{root}/images/train'  # same\nnames: [a]\n")
    assert yaml_root(str(yaml))[0] == str(root)
    text = remote_data_yaml(str(yaml), str(root), "/remote/set")
    assert text.splitlines()[:3] == [
        'path: "/remote/set"',
        'train: "images/train"',
        'val: "images/train"',
    ]
    outside = tmp_path / "elsewhere.yaml"
    outside.write_text(f"path: {root}\ntrain: {os.sep}etc\n")
    with pytest.raises(LaunchError, match="/etc is outside the dataset folder"):
        remote_data_yaml(str(outside), str(root), "/remote/set")


def test_a_rave_audio_folder_is_synced_and_preprocessed_on_the_host(
    remote_manager: TrainingManager, sshd: SshServer, tmp_path: Path
) -> None:
    executor = remote_manager.executor_for("gpu")
    assert isinstance(executor, SshExecutor)
    audio = tmp_path / "loops"
    audio.mkdir()
    (audio / "a.wav").write_bytes(b"RIFF....WAVE")
    params = {"db_path": str(audio), "max_steps": 10}
    cfg = complete_config({"name": "r", "framework": "rave", "host": "gpu", "params": params})
    run_dir = executor.run_dir_for(9998, tmp_path)
    prepared = executor.prepare_run(cfg, run_dir, lambda line: None)
    command = prepared["command"]
    remote = command[command.index("--input_path") + 1]
    assert remote == remote_copy_dir(executor, str(audio)) == prepared["params"]["db_path"]
    assert Path(remote, "a.wav").read_bytes() == b"RIFF....WAVE"
    assert command[1] == f"{sshd.workdir}/runners/0.1.0/rave_pipeline.py"
    assert str(tmp_path) not in " ".join(command)
