"""``--host any``: a recipe's command is written for the host the queue picks (its
environment's python), not for a default one before any host was chosen. Two hosts
run here through local executors, each with its own recorded GPUs and environment."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.gpus.support import StatusWatch, fake_smi
from tuitrain.engine import make_manager
from tuitrain.executors.local import LocalExecutor
from tuitrain.runs.states import RunStatus


def fake_python(path: Path, says: str) -> Path:
    """An environment's interpreter that only says who it is and what it was given."""
    path.parent.mkdir(parents=True)
    path.write_text(f'#!/bin/sh\necho "{says}" "$@"\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


async def test_host_any_runs_in_the_environment_of_the_host_chosen(
    home: Path, tmp_path: Path
) -> None:
    env_local = fake_python(tmp_path / "env-local" / "bin" / "python", "ENV-LOCAL")
    env_gpu2 = fake_python(tmp_path / "env-gpu2" / "bin" / "python", "ENV-GPU2")
    home.mkdir(parents=True)
    (home / "config.toml").write_text(
        "[gpus]\nbusy_memory_percent = 100\nbusy_utilization_percent = 100\n\n"
        '[hosts.local]\nnvidia_smi = "/nonexistent/nvidia-smi"\n'  # no GPU here
        f'[hosts.local.environments]\nyolo = "{env_local}"\n\n'
        f'[hosts.gpu2]\nssh = "gpu2"\nnvidia_smi = {fake_smi()!r}\n'
        f'[hosts.gpu2.environments]\nyolo = "{env_gpu2}"\n'
    )
    manager = make_manager(
        home,
        executors={"local": LocalExecutor(), "gpu2": LocalExecutor()},
        poll_interval=0.05,
        flush_interval=0.02,
        queue_worker=None,
    )
    await manager.open()
    watch = StatusWatch(manager)
    try:
        rid = await manager.start_training(
            {
                "name": "anywhere",
                "framework": "yolo",
                "host": "any",
                "gpus": 1,
                "params": {"data": "/datasets/coco8/data.yaml", "epochs": 1},
            }
        )
        await watch.reached(rid, RunStatus.RUNNING)
        exp = manager.get_experiment(rid)
        assert exp.host == "gpu2" and exp.gpu_ids == "2"
        cfg = json.loads(exp.config_json)
        assert cfg["command"][0] == str(env_gpu2)
        assert cfg["host"] == "any" and cfg["command_host"] == "gpu2"  # a restart: any again
        in_run_dir = json.loads(Path(exp.run_dir, "config.json").read_text())
        assert in_run_dir["command"] == cfg["command"]
        done = await manager.wait(rid)
        assert done.status == RunStatus.COMPLETED
        said = Path(done.run_dir, "output.log").read_text().split()
        assert said[0] == "ENV-GPU2" and said[1].endswith("yolo.py")
        assert "data=/datasets/coco8/data.yaml" in said and "device=0" in said
    finally:
        await manager.close()
        manager.store.db.dispose()
