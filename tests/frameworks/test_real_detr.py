"""A real DETR training on CPU (a tiny model from scratch, 2 epochs, a generated COCO
dataset of 64 px images) through the manager and the DETR runner: epoch losses equal to
Lightning's own metrics.csv, the final model (loadable) and the loss plot registered;
and without scipy, a failure before any training."""

from __future__ import annotations

import json
from pathlib import Path

from tests.frameworks.real_support import (
    assert_completed,
    close,
    csv_rows,
    in_env,
    output_of,
    tiny_coco_dataset,
    train,
    training_python,
    write_environments,
)
from tuitrain.runs.manager import TrainingManager
from tuitrain.runs.states import RunStatus

LOAD = """
import sys, torch
from transformers import DetrConfig, DetrForObjectDetection
saved = torch.load(sys.argv[1], map_location="cpu", weights_only=False)
model = DetrForObjectDetection(DetrConfig.from_dict(saved["config"]))
model.load_state_dict(saved["model_state_dict"])
print("loaded", sorted(saved["id2label"].values()))
"""
PARAMS = {"epochs": 2, "batch_size": 4, "image_size": 64, "workers": 0, "device": "cpu"}


async def test_detr_trains_for_real(home: Path, manager: TrainingManager, tmp_path: Path) -> None:
    python = training_python("TUITRAIN_YOLO_PYTHON")
    write_environments(home, detr=python)
    data = tiny_coco_dataset(tmp_path / "shapes")
    # An empty Hugging Face cache: the pretrained checkpoint is surely not there.
    env = {"HF_HOME": str(tmp_path / "hf")}
    exp, seconds = await train(manager, "detr", {"data": str(data), **PARAMS}, env=env)
    print(f"real DETR run: {seconds:.1f} s")
    assert_completed(exp)
    assert exp.id is not None
    log = output_of(exp)
    assert "facebook/detr-resnet-50 is not usable offline" in log
    assert "training a tiny DETR from scratch instead" in log
    assert "dataset: 8 train, 4 val images, classes {0: 'red', 1: 'blue'}" in log

    # Epoch losses from the runner's metrics.jsonl, equal to Lightning's CSV.
    run_dir = Path(exp.run_dir)
    logged = csv_rows(run_dir / "lightning_logs" / "version_0" / "metrics.csv")
    rows = manager.store.metrics(exp.id)
    for name in ("train_loss_epoch", "val_loss", "train_loss_ce", "val_loss_bbox"):
        mine = {r.epoch: r.value for r in rows if r.name == name}
        assert {r.source for r in rows if r.name == name} == {"jsonl"}, name
        theirs = {int(r["epoch"]): float(r[name]) for r in logged if r.get(name)}
        assert sorted(mine) == sorted(theirs) == [0, 1], (name, mine, theirs)
        assert all(close(mine[e], theirs[e]) for e in theirs), (name, mine, theirs)
    steps = [r for r in rows if r.name == "train_loss_step"]
    assert [r.step for r in steps] == list(range(1, 5))  # 2 batches an epoch
    assert {"lr-AdamW/transformer", "lr-AdamW/backbone"} <= {r.name for r in rows}
    assert json.loads(exp.progress_json)["epoch"] == 2

    # The final model and the loss plot, registered; the model loads.
    models = {m.name: m for m in manager.store.models(exp.id)}
    assert set(models) == {"final_model.pt", "loss_plot.png"}
    assert Path(models["loss_plot.png"].path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    metrics = json.loads(models["final_model.pt"].metrics_json)
    assert close(metrics["val_loss"], {r.epoch: r.value for r in rows if r.name == "val_loss"}[1])
    out = in_env(python, LOAD, models["final_model.pt"].path)
    assert out.splitlines()[-1] == "loaded ['blue', 'red']", out


async def test_detr_without_scipy_fails_before_training(
    home: Path, manager: TrainingManager, tmp_path: Path
) -> None:
    python = training_python("TUITRAIN_YOLO_PYTHON")
    write_environments(home, detr=python)
    data = tiny_coco_dataset(tmp_path / "shapes", train=2, valid=1)
    # A scipy that cannot be imported, ahead of the real one on the path.
    shim = tmp_path / "no-scipy" / "scipy"
    shim.mkdir(parents=True)
    (shim / "__init__.py").write_text(
        "raise ModuleNotFoundError(\"No module named 'scipy'\", name='scipy')\n"
    )
    env = {"PYTHONPATH": str(shim.parent)}
    exp, seconds = await train(manager, "detr", {"data": str(data), **PARAMS}, env=env)
    print(f"DETR without scipy: {seconds:.1f} s")
    assert exp.status == RunStatus.FAILED
    assert exp.exit_code == 1
    assert exp.error_summary is not None
    assert exp.error_summary.startswith("exit code 1: DETR needs scipy")
    assert f"{python} -m pip install scipy" in exp.error_summary
    run_dir = Path(exp.run_dir)
    assert not (run_dir / "lightning_logs").exists() and not (run_dir / "metrics.jsonl").exists()
    assert manager.store.models(exp.id) == []
