"""Runs on a real SSH host (the test sshd on 127.0.0.1), through the manager."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import replay
from tests.remote.sshd import SshServer
from tuitrain.executors.ssh import SshExecutor
from tuitrain.runs.manager import TrainingManager
from tuitrain.runs.states import RunStatus

JSONL = 40


def replay_run(name: str, pace: float = 1.0) -> dict[str, object]:
    return {
        "name": name,
        "host": "gpu",
        "parser": "ultralytics",
        "command": replay("yolo_cli_output_pipe.raw", "--pace", str(pace), "--jsonl", str(JSONL)),
    }


def metric_set(manager: TrainingManager, rid: int) -> list[tuple[str, int | None, float]]:
    return sorted((r.name, r.step, r.value) for r in manager.store.metrics(rid))


async def test_a_remote_run_completes_with_all_its_metrics(
    remote_manager: TrainingManager, sshd: SshServer, remote_home: Path
) -> None:
    rid = await remote_manager.start_training(replay_run("remote", pace=0.5))
    exp = await remote_manager.wait(rid)
    assert exp.status == RunStatus.COMPLETED, exp.error_summary
    executor = remote_manager.executor_for("gpu")
    assert isinstance(executor, SshExecutor)
    # The run folder is on the host, named with this installation's id.
    assert exp.run_dir == f"{sshd.workdir}/runs/{executor.install_id}-{rid}"
    remote_files = sshd.ssh("ls", exp.run_dir).stdout.split()
    assert {"output.log", "exit_code", "pid", "config.json", "metrics.jsonl"} <= set(remote_files)
    # Every record of metrics.jsonl once, and the console's epochs.
    replayed = [r for r in remote_manager.store.metrics(rid, "replay/index")]
    assert len(replayed) == JSONL
    assert len({r.step for r in replayed}) == JSONL
    assert remote_manager.store.metrics(rid, "metrics/mAP50(B)")
    # The log is mirrored locally, byte for byte.
    local_log = Path(executor.output_log(rid, exp.run_dir))
    assert local_log.is_relative_to(remote_home)
    remote_log = sshd.ssh("cat", f"{exp.run_dir}/output.log").stdout
    assert local_log.read_text() == remote_log and "Epoch" in remote_log
    assert json.loads(exp.summary_metrics_json)["replay/index"] >= 0
