"""The GPU queue with real child processes on a host whose nvidia-smi is a recorded
two-GPU output: three one-GPU runs start two and queue the third, which starts on the
GPU the first one to end gave back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import cli
from tests.gpus.support import StatusWatch, child, fake_smi, write_gpu_config
from tuitrain.engine import make_manager
from tuitrain.runs.config import ConfigError
from tuitrain.runs.manager import TrainingManager
from tuitrain.runs.states import RunStatus


def output(manager: TrainingManager, rid: int) -> str:
    return Path(manager.get_experiment(rid).run_dir, "output.log").read_text()


async def test_three_runs_on_two_gpus_start_two_and_queue_the_third(
    home: Path, tmp_path: Path
) -> None:
    write_gpu_config(home)
    manager = make_manager(
        home, poll_interval=0.05, reconcile_interval=30, flush_interval=0.02, queue_worker=None
    )
    await manager.open()
    watch = StatusWatch(manager)
    releases = [tmp_path / f"release-{i}" for i in range(3)]
    try:
        ids = [
            await manager.start_training({"name": f"r{i}", "gpus": 1, "command": child(rel)})
            for i, rel in enumerate(releases)
        ]
        first, second, third = ids
        await watch.reached(first, RunStatus.RUNNING)
        await watch.reached(second, RunStatus.RUNNING)
        queued = manager.get_experiment(third)
        assert queued.status == RunStatus.QUEUED and queued.gpu_ids is None
        assert queued.queue_reason == (
            "waiting for 1 GPU: local: 0 of 2 free (GPU 2 used by #1; GPU 3 used by #2)"
        )
        assert {manager.get_experiment(r).gpu_ids for r in (first, second)} == {"2", "3"}

        # The second run ends first: the third takes its GPU (no sleep: awaited events).
        given_back = manager.get_experiment(second).gpu_ids
        releases[1].touch()
        assert (await manager.wait(second)).status == RunStatus.COMPLETED
        await watch.reached(third, RunStatus.RUNNING)
        assert manager.get_experiment(third).gpu_ids == given_back
        assert manager.get_experiment(first).status == RunStatus.RUNNING

        for rel in (releases[0], releases[2]):
            rel.touch()
        done = [await manager.wait(r) for r in ids]
        assert [e.status for e in done] == [RunStatus.COMPLETED] * 3
        seen = {r: output(manager, r).split()[:2] for r in ids}
        assert seen[first][0] != seen[second][0]
        assert seen[third] == [f"CVD={given_back}", "ORDER=PCI_BUS_ID"]
        assert sorted(s[0] for s in (seen[first], seen[second])) == ["CVD=2", "CVD=3"]
        states = [t.to_status for t in manager.store.transitions(third)]
        assert states == ["PENDING", "QUEUED", "STARTING", "RUNNING", "COMPLETED"]
        # FIFO: the runs started in the order they were queued.
        starts = [manager.get_experiment(r).started_at or 0 for r in ids]
        assert starts == sorted(starts)
    finally:
        for rel in releases:
            rel.touch()
        await manager.close()
        manager.store.db.dispose()


async def test_first_in_first_out_a_two_gpu_run_is_not_overtaken(
    manager: TrainingManager, home: Path, tmp_path: Path
) -> None:
    write_gpu_config(home)
    watch = StatusWatch(manager)
    rel = [tmp_path / f"release-{i}" for i in range(3)]
    try:
        one = await manager.start_training({"name": "one", "gpus": 1, "command": child(rel[0])})
        both = await manager.start_training({"name": "both", "gpus": 2, "command": child(rel[1])})
        small = await manager.start_training({"name": "small", "gpus": 1, "command": child(rel[2])})
        await watch.reached(one, RunStatus.RUNNING)
        # One GPU is free, but "small" queued after "both": it waits behind it.
        assert manager.get_experiment(small).status == RunStatus.QUEUED
        assert manager.get_experiment(small).queue_reason == "waiting for 1 GPU: local: behind #2"
        rel[0].touch()
        await watch.reached(both, RunStatus.RUNNING)
        assert manager.get_experiment(both).gpu_ids == "2,3"
        rel[1].touch()
        await watch.reached(small, RunStatus.RUNNING)
        assert output(manager, both).startswith("CVD=2,3 ")  # it ended: its output is all there
        rel[2].touch()
        assert (await manager.wait(small)).status == RunStatus.COMPLETED
    finally:
        for r in rel:
            r.touch()


async def test_busy_gpus_by_threshold_keep_a_run_queued_and_stop_needs_no_launch(
    manager: TrainingManager, home: Path, tmp_path: Path
) -> None:
    write_gpu_config(home, memory=50, utilization=90)  # the recording: 100% busy
    rid = await manager.start_training(
        {"name": "wait", "gpus": 1, "command": child(tmp_path / "x")}
    )
    exp = manager.get_experiment(rid)
    assert exp.status == RunStatus.QUEUED
    assert exp.queue_reason == (
        "waiting for 1 GPU: local: 0 of 2 free (GPU 2 busy (utilization 100% > 90%); "
        "GPU 3 busy (utilization 100% > 90%))"
    )
    assert await manager.stop_training(rid)
    stopped = manager.get_experiment(rid)
    assert stopped.status == RunStatus.STOPPED and stopped.pid is None
    assert not Path(stopped.run_dir, "output.log").exists()


async def test_only_the_allowed_gpus_are_given(
    manager: TrainingManager, home: Path, tmp_path: Path
) -> None:
    write_gpu_config(home, extra="gpus = [3]\n")
    watch = StatusWatch(manager)
    rel = tmp_path / "go"
    rid = await manager.start_training({"name": "a", "gpus": 1, "command": child(rel)})
    await watch.reached(rid, RunStatus.RUNNING)
    assert manager.get_experiment(rid).gpu_ids == "3"
    with pytest.raises(
        ConfigError, match="cannot give the run 2 GPUs: local has 1 GPU tuitrain may use"
    ):
        await manager.start_training({"name": "b", "gpus": 2, "command": child(rel)})
    rel.touch()
    await manager.wait(rid)


@pytest.mark.parametrize(
    ("smi", "message"),
    [
        (
            fake_smi("no_driver.txt", "--exit", "9"),
            "local: no NVIDIA driver: NVIDIA-SMI has failed",
        ),
        ("/nonexistent/nvidia-smi", "local: no GPU: nvidia-smi is not installed"),
    ],
)
async def test_a_host_without_gpus_refuses_at_once(
    manager: TrainingManager, home: Path, smi: str, message: str
) -> None:
    write_gpu_config(home, smi=smi)
    with pytest.raises(ConfigError, match=message):
        await manager.start_training({"name": "x", "gpus": 1, "command": ["true"]})
    assert manager.list_experiments() == []


def test_recipe_device_follows_the_gpus_given() -> None:
    from tuitrain.runs.config import validate_config

    base = {"name": "y", "framework": "yolo", "params": {"data": "/d/data.yaml"}}
    cfg = validate_config({**base, "gpus": 2, "host": "gpu1"})
    assert cfg["params"]["device"] == "0,1" and "device=0,1" in cfg["command"]
    with pytest.raises(ConfigError, match="device=cpu asks for no GPU"):
        validate_config(
            {**base, "gpus": 1, "host": "gpu1", "params": {**base["params"], "device": "cpu"}}
        )
    with pytest.raises(ConfigError, match=r"sees them as 0 .*use device=auto or 0"):
        validate_config(
            {**base, "gpus": 1, "host": "gpu1", "params": {**base["params"], "device": "3"}}
        )
    with pytest.raises(ConfigError, match="host any picks a host with free GPUs"):
        validate_config({"name": "z", "host": "any", "command": ["true"]})
    with pytest.raises(ConfigError, match="gpus must be a number"):
        validate_config({"name": "z", "gpus": -1, "command": ["true"]})


def test_the_cli_queues_lists_and_starts_the_third(home: Path, tmp_path: Path) -> None:
    write_gpu_config(home)
    rel = [tmp_path / f"release-{i}" for i in range(3)]
    try:
        ids = [
            int(
                cli(
                    home, "run", "--name", f"c{i}", "--gpus", "1", "--", *child(r), check=True
                ).stdout
            )
            for i, r in enumerate(rel)
        ]
        listing = json.loads(cli(home, "ls", "--json", check=True).stdout)
        statuses = {d["id"]: d["status"] for d in listing}
        assert [statuses[i] for i in ids] == ["RUNNING", "RUNNING", "QUEUED"]
        text = cli(home, "ls", check=True).stdout
        assert "QUEUED #1" in text
        rel[0].touch()
        rel[2].touch()
        waited = cli(home, "wait", str(ids[2]), check=True)
        assert waited.stdout.strip() == f"{ids[2]} COMPLETED"
    finally:
        for r in rel:
            r.touch()
    rel[1].touch()
    cli(home, "wait", str(ids[1]), check=True)
