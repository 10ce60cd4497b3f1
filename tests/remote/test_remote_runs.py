"""Runs on a real SSH host (the test sshd on 127.0.0.1), through the manager."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import replay
from tests.remote.sshd import SshServer
from tuitrain.engine import make_manager
from tuitrain.executors.base import ProcessState
from tuitrain.executors.ssh import SshExecutor
from tuitrain.runs.manager import TrainingManager, identity_of
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


def remote_log_size(run_dir: str) -> int:
    """The remote output.log's size, read from the disk (the host is this machine)."""
    try:
        return os.path.getsize(os.path.join(run_dir, "output.log"))
    except FileNotFoundError:
        return 0


async def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    """Poll something with no event (a file on the host) until true, with a deadline."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_a_dropped_connection_loses_nothing_after_reconnecting(
    remote_manager: TrainingManager, sshd: SshServer
) -> None:
    undisturbed = await remote_manager.start_training(replay_run("undisturbed", pace=0.5))
    assert (await remote_manager.wait(undisturbed)).status == RunStatus.COMPLETED
    expected = metric_set(remote_manager, undisturbed)

    rid = await remote_manager.start_training(replay_run("dropped", pace=4.0))
    run_dir = remote_manager.get_experiment(rid).run_dir
    await wait_for(lambda: bool(remote_manager.store.metrics(rid)), "the first metrics")
    executor = remote_manager.executor_for("gpu")
    assert isinstance(executor, SshExecutor)
    # Cut everything: the master connection dies and the server stops accepting.
    master = executor.connection.master_pid()
    assert master is not None
    sshd.stop()
    os.kill(master, signal.SIGKILL)
    size_at_cut = remote_log_size(run_dir)
    await wait_for(lambda: remote_log_size(run_dir) > size_at_cut + 2000, "output while cut")
    # The host cannot be asked: the run is not called lost, it stays RUNNING.
    assert executor.probe(identity_of(remote_manager.get_experiment(rid))) is ProcessState.UNKNOWN  # type: ignore[arg-type]
    assert remote_manager.get_experiment(rid).status == RunStatus.RUNNING
    sshd.start()
    exp = await remote_manager.wait(rid)
    assert exp.status == RunStatus.COMPLETED, exp.error_summary
    assert metric_set(remote_manager, rid) == expected
    local_log = Path(executor.output_log(rid, run_dir)).read_bytes()
    assert local_log == Path(run_dir, "output.log").read_bytes()


async def test_a_remote_run_outlives_tuitrain_and_is_reattached(
    remote_manager: TrainingManager, remote_home: Path
) -> None:
    rid = await remote_manager.start_training(replay_run("outlives", pace=3.0))
    await wait_for(lambda: bool(remote_manager.store.metrics(rid)), "the first metrics")
    await remote_manager.close()  # tuitrain exits; the run does not
    exp = remote_manager.get_experiment(rid)
    executor = remote_manager.executor_for("gpu")
    ident = identity_of(exp)
    assert ident is not None and executor.probe(ident) is ProcessState.ALIVE

    later = make_manager(remote_home, poll_interval=0.05, reconcile_interval=0.5)
    try:
        await later.open()  # reconciles and follows every active run again
        done = await later.wait(rid)
        assert done.status == RunStatus.COMPLETED, done.error_summary
        assert len(later.store.metrics(rid, "replay/index")) == JSONL
    finally:
        await later.close()
        later.store.db.dispose()


IGNORES_TERM = """
import signal, sys, time
signal.signal(signal.SIGTERM, lambda *a: print("TERM ignored", flush=True))
print("ready", flush=True)
for i in range(600):
    print(f"step {i} loss: 0.5", flush=True)
    time.sleep(0.1)
"""


async def test_stop_terms_then_kills_the_remote_process_group(
    remote_manager: TrainingManager, sshd: SshServer
) -> None:
    rid = await remote_manager.start_training(
        {"name": "stubborn", "host": "gpu", "command": [sys.executable, "-c", IGNORES_TERM]}
    )
    run_dir = remote_manager.get_experiment(rid).run_dir
    await wait_for(lambda: b"ready" in Path(run_dir, "output.log").read_bytes(), "the child")
    exp = remote_manager.get_experiment(rid)
    assert await remote_manager.stop_training(rid)
    exp = remote_manager.get_experiment(rid)
    assert exp.status == RunStatus.STOPPED
    assert b"TERM ignored" in Path(run_dir, "output.log").read_bytes()
    # Nothing of the group is left on the host.
    assert exp.pgid is not None
    # (zombies may linger where PID 1 reaps slowly, as in containers: they are gone)
    states = sshd.ssh("ps", "-o", "stat=", "-g", str(exp.pgid)).stdout.split()
    assert all(state.startswith("Z") for state in states), states
