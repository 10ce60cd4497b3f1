"""A real YOLO training on the "remote" host (the test sshd; 2 epochs at 64 px on
CPU): the dataset and the runners are synced, the run completes with its metrics,
best.pt is registered with its path on the host and ``tuitrain fetch`` brings it back."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.conftest import cli
from tests.frameworks.real_support import (
    TINY_YOLO_PARAMS,
    assert_completed,
    tiny_yolo_dataset,
    train,
    training_python,
)
from tests.remote.sshd import SshServer
from tuitrain.engine import make_manager
from tuitrain.executors.ssh import SshExecutor
from tuitrain.runs.events import RunFinished


async def test_a_yolo_recipe_trains_on_the_remote_host(
    remote_home: Path, sshd: SshServer, tmp_path: Path
) -> None:
    python = training_python("TUITRAIN_YOLO_PYTHON")
    with open(remote_home / "config.toml", "a") as fh:
        fh.write(f'\n[hosts.gpu.environments]\nyolo = "{python}"\n')
    data = tiny_yolo_dataset(tmp_path / "ducks")
    params = {"data": str(data), **TINY_YOLO_PARAMS}
    manager = make_manager(remote_home, poll_interval=0.1, reconcile_interval=1.0)
    await manager.open()
    finished = asyncio.Event()  # RunFinished comes once the models are registered
    manager.subscribe(
        lambda events: finished.set() if any(isinstance(e, RunFinished) for e in events) else None
    )
    try:
        exp, seconds = await train(manager, "yolo", params, host="gpu")
        print(f"remote YOLO run: {seconds:.1f} s")
        assert_remote_completed(exp, sshd)
        executor = manager.executor_for("gpu")
        assert isinstance(executor, SshExecutor)
        assert exp.id is not None
        # Metrics of both epochs, from the runner's metrics.jsonl on the host.
        epochs = {r.epoch for r in manager.store.metrics(exp.id, "metrics/mAP50(B)")}
        assert epochs == {1, 2}
        assert json.loads(exp.progress_json)["epoch"] == 2
        # The host trained on its copy of the dataset with its copy of the runner.
        remote_cfg = json.loads(Path(exp.run_dir, "config.json").read_text())
        assert remote_cfg["command"][1] == f"{sshd.workdir}/runners/0.1.0/yolo.py"
        assert remote_cfg["params"]["data"] == f"{exp.run_dir}/data.yaml"
        assert json.loads(exp.config_json)["params"]["data"] == str(data)  # for restarts
        # best.pt registered at its path on the host, and fetched back.
        await asyncio.wait_for(finished.wait(), 60)
        models = {m.name: m for m in manager.store.models(exp.id)}
        best = models["best.pt"]
        assert best.path == f"{exp.run_dir}/yolo/real-yolo/weights/best.pt"
        out = tmp_path / "fetched"
        done = cli(remote_home, "fetch", str(best.id), "--to", str(out), check=True)
        local = Path(done.stdout.strip())
        assert local.is_relative_to(out) and local.name == "best.pt"
        assert local.read_bytes() == Path(best.path).read_bytes()
    finally:
        await manager.close()
        manager.store.db.dispose()


def assert_remote_completed(exp: object, sshd: SshServer) -> None:
    from tuitrain.store.models import Experiment

    assert isinstance(exp, Experiment)
    assert exp.run_dir.startswith(f"{sshd.workdir}/runs/")
    assert_completed(exp)
