"""Artifacts of finished runs registered as models: what is found per framework, with
which metrics, and the manager registering them when (and only when) a run completes."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.conftest import py
from tuitrain.frameworks.artifacts import Artifact, collect_artifacts
from tuitrain.runs.manager import TrainingManager
from tuitrain.runs.states import RunStatus

SUMMARY = {
    "train/box_loss": 1.5,
    "metrics/mAP50-95(B)": 0.25,
    "lr/pg0": 0.01,
    "batch/loss": 7.0,
    "final/mAP50-95(B)": 0.5,
    "final/precision(B)": 0.75,
}


def touch(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")
    return str(path)


def test_yolo_best_has_its_final_validation_and_last_its_last_epoch(tmp_path: Path) -> None:
    best = touch(tmp_path / "yolo" / "ducks" / "weights" / "best.pt")
    last = touch(tmp_path / "yolo" / "ducks" / "weights" / "last.pt")
    touch(tmp_path / "yolo" / "ducks" / "weights" / "epoch3.pt")
    assert collect_artifacts("yolo", str(tmp_path), SUMMARY) == [
        Artifact("best.pt", best, {"metrics/mAP50-95(B)": 0.5, "metrics/precision(B)": 0.75}),
        Artifact(
            "last.pt",
            last,
            {"train/box_loss": 1.5, "metrics/mAP50-95(B)": 0.25, "lr/pg0": 0.01},
        ),
    ]
    # Without the runner's final validation (the plain CLI): the last epoch's values.
    plain = {k: v for k, v in SUMMARY.items() if not k.startswith("final/")}
    found = collect_artifacts("Ultralytics", str(tmp_path), plain)
    assert found[0].metrics == found[1].metrics == {k: plain[k] for k in list(plain)[:3]}


def test_detr_and_rave_files_and_names_made_unique(tmp_path: Path) -> None:
    model = touch(tmp_path / "final_model.pt")
    plot = touch(tmp_path / "loss_plot.png")
    touch(tmp_path / "checkpoints" / "last.ckpt")
    assert collect_artifacts("detr", str(tmp_path), {"val_loss": 2.0}) == [
        Artifact("final_model.pt", model, {"val_loss": 2.0}),
        Artifact("loss_plot.png", plot, {"val_loss": 2.0}),
    ]
    a = touch(tmp_path / "runs" / "a_1" / "version_0" / "checkpoints" / "best.ckpt")
    b = touch(tmp_path / "runs" / "b_2" / "version_0" / "checkpoints" / "best.ckpt")
    names = [x.name for x in collect_artifacts("rave", str(tmp_path), {})]
    assert names == [
        "last.ckpt",
        "runs/a_1/version_0/checkpoints/best.ckpt",
        "runs/b_2/version_0/checkpoints/best.ckpt",
    ]
    assert {x.path for x in collect_artifacts("rave", str(tmp_path))} >= {a, b}
    assert collect_artifacts("custom", str(tmp_path), {}) == []


WRITES_A_MODEL = """
import json, os
with open("metrics.jsonl", "w") as fh:
    fh.write(json.dumps({"epoch": 0, "metrics": {"val_loss": 0.5}}) + "\\n")
open("final_model.pt", "wb").write(b"weights")
open("loss_plot.png", "wb").write(b"png")
raise SystemExit(int(os.environ.get("EXIT", "0")))
"""


async def test_the_manager_registers_models_when_a_run_completes(
    manager: TrainingManager,
) -> None:
    config = {"name": "d", "framework": "detr", "command": py(WRITES_A_MODEL)}
    done = await manager.start_training(config)
    failed = await manager.start_training({**config, "env": {"EXIT": "3"}})
    exps = await asyncio.wait_for(
        asyncio.gather(manager.wait(done), manager.wait(failed)), timeout=60
    )
    assert [e.status for e in exps] == [RunStatus.COMPLETED, RunStatus.FAILED]
    models = manager.store.models(done)
    assert [(m.name, m.framework) for m in models] == [
        ("final_model.pt", "detr"),
        ("loss_plot.png", "detr"),
    ]
    assert json.loads(models[0].metrics_json) == {"val_loss": 0.5}
    assert Path(models[0].path) == Path(exps[0].run_dir) / "final_model.pt"
    assert manager.store.models(failed) == []
    assert [m.id for m in manager.store.models()] == [m.id for m in models]
    # Registering again adds nothing; deleting the run deletes its models.
    assert manager.store.add_models(done, "detr", [(m.name, m.path, {}) for m in models]) == []
    manager.store.delete(done)
    assert manager.store.models() == []
