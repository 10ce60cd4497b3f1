"""A real YOLO training on CPU (2 epochs, 64 px, a generated dataset) through the
manager and the YOLO recipe's runner: per-epoch metrics equal to Ultralytics' own
results.csv, best.pt and last.pt registered, and best.pt predicts."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import cli
from tests.frameworks.real_support import (
    TINY_YOLO_PARAMS,
    assert_completed,
    close,
    csv_rows,
    in_env,
    output_of,
    tiny_yolo_dataset,
    train,
    training_python,
    write_environments,
)
from tuitrain.runs.manager import TrainingManager

EPOCH_METRICS = (
    "train/box_loss",
    "train/cls_loss",
    "train/dfl_loss",
    "metrics/precision(B)",
    "metrics/recall(B)",
    "metrics/mAP50(B)",
    "metrics/mAP50-95(B)",
    "val/box_loss",
    "val/cls_loss",
    "val/dfl_loss",
    "lr/pg0",
    "lr/pg1",
    "lr/pg2",
)
PREDICT = """
import sys
from ultralytics import YOLO
results = YOLO(sys.argv[1]).predict(sys.argv[2], imgsz=64, device="cpu", conf=0.0, verbose=False)
print("predicted", len(results), "image(s),", len(results[0].boxes), "box(es)")
"""


async def test_yolo_trains_for_real(home: Path, manager: TrainingManager, tmp_path: Path) -> None:
    python = training_python("TUITRAIN_YOLO_PYTHON")
    write_environments(home, yolo=python)
    data = tiny_yolo_dataset(tmp_path / "ducks")
    params = {"data": str(data), **TINY_YOLO_PARAMS}
    exp, seconds = await train(manager, "yolo", params)
    print(f"real YOLO run: {seconds:.1f} s")
    assert_completed(exp)
    assert exp.id is not None
    config = json.loads(exp.config_json)
    assert config["command"][0] == python
    assert config["command"][1].endswith("runners/yolo.py")

    # Per-epoch metrics from the runner's metrics.jsonl, equal to results.csv.
    run_dir = Path(exp.run_dir)
    results = csv_rows(run_dir / "yolo" / "real-yolo" / "results.csv")
    assert [int(r["epoch"]) for r in results] == [1, 2]
    rows = manager.store.metrics(exp.id)
    for name in EPOCH_METRICS:
        mine = {r.epoch: r.value for r in rows if r.name == name}
        assert {r.source for r in rows if r.name == name} == {"jsonl"}, name
        assert sorted(mine) == [1, 2], name
        for row in results:
            assert close(mine[int(row["epoch"])], float(row[name])), (name, mine, row)
    # A sampled per-batch loss and learning rate, and the final validation of best.pt
    # apart from the epochs.
    batches = [r for r in rows if r.name == "batch/loss"]
    assert len(batches) == 8 and [r.step for r in batches] == list(range(1, 9))
    assert {r.name for r in rows if r.name.startswith("batch/lr")} == {"batch/lr"}
    final = {r.name: r for r in rows if r.name.startswith("final/")}
    assert set(final) == {
        f"final/{m}" for m in ("precision(B)", "recall(B)", "mAP50(B)", "mAP50-95(B)")
    }
    assert all(r.epoch is None and r.source == "jsonl" for r in final.values())
    progress = json.loads(exp.progress_json)
    assert progress["epoch"] == 2 and progress["total_epochs"] == 2

    # best.pt and last.pt registered with their metrics, and best.pt predicts.
    models = {m.name: m for m in manager.store.models(exp.id)}
    assert set(models) == {"best.pt", "last.pt"}
    best = json.loads(models["best.pt"].metrics_json)
    last = json.loads(models["last.pt"].metrics_json)
    assert close(best["metrics/mAP50-95(B)"], final["final/mAP50-95(B)"].value)
    assert close(last["train/box_loss"], float(results[-1]["train/box_loss"]))
    assert all(m.framework == "yolo" and Path(m.path).is_file() for m in models.values())
    image = next((data.parent / "images" / "val").iterdir())
    env = {"YOLO_OFFLINE": "1", "YOLO_CONFIG_DIR": str(tmp_path / "ultralytics")}
    out = in_env(python, PREDICT, models["best.pt"].path, str(image), env=env)
    assert "predicted 1 image(s)," in out.splitlines()[-1], out
    assert "Ultralytics" in output_of(exp)

    # The headless CLI sees the same run and its metrics.
    shown = json.loads(cli(home, "show", str(exp.id), "--json", check=True).stdout)
    assert shown["status"] == "COMPLETED"
    assert close(shown["metrics"]["train/box_loss"], float(results[-1]["train/box_loss"]))
