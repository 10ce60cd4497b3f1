"""The runners' logic without the ML libraries: the YOLO callbacks on a stand-in
trainer, the RAVE pipeline with a stand-in ``rave``, the DETR dataset readers. (The
real trainings are in test_real_*.py.)"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType, SimpleNamespace
from typing import Any

import pytest

import tuitrain.runners
from tests.frameworks.real_support import tiny_coco_dataset, tiny_yolo_dataset

RUNNERS = Path(tuitrain.runners.__file__).resolve().parent


@pytest.fixture
def load_runner() -> Iterator[Any]:
    """Import a runner script by path as the training environment does (its folder on
    sys.path), then put sys.path and sys.modules back."""
    saved_path, saved_modules = list(sys.path), set(sys.modules)

    def load(name: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(f"runner_{name}", RUNNERS / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        return module

    yield load
    sys.path[:] = saved_path
    for name in set(sys.modules) - saved_modules:
        del sys.modules[name]


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def test_yolo_callbacks_count_epochs_not_the_final_validation(
    load_runner: Any, tmp_path: Path
) -> None:
    yolo = load_runner("yolo")
    trainer = SimpleNamespace(
        epoch=0,
        epochs=2,
        train_loader=[0, 1, 2],
        loss_items={"box_loss": 1.0, "cls_loss": 2.0},
        optimizer=SimpleNamespace(param_groups=[{"lr": 0.01}, {"lr": 0.02}]),
        tloss={"box_loss": 1.5, "cls_loss": 2.5},
        label_loss_items=lambda items, prefix="train": {
            f"{prefix}/{k}": v for k, v in items.items()
        },
        metrics={"metrics/mAP50(B)": 0.1, "val/box_loss": 3.0, "fitness": 0.2},
        lr={"lr/pg0": 0.01, "lr/pg1": 0.02},
    )
    path = tmp_path / "metrics.jsonl"
    with yolo.MetricsWriter(path) as writer:
        callbacks = yolo.MetricCallbacks(writer)
        for epoch in range(2):
            trainer.epoch = epoch
            callbacks.on_train_epoch_start(trainer)
            for _ in trainer.train_loader:
                callbacks.on_train_batch_end(trainer)
            callbacks.on_train_epoch_end(trainer)
            callbacks.on_fit_epoch_end(trainer)
        trainer.epoch += 1  # what Ultralytics' final_eval does
        trainer.metrics = {"metrics/mAP50(B)": 0.3}
        callbacks.on_fit_epoch_end(trainer)
    out = records(path)
    batches = [r for r in out if "batch/loss" in r["metrics"]]
    assert [(r["step"], r["epoch"], r["progress"]["step"]) for r in batches] == [
        (1, 1, 1), (2, 1, 2), (3, 1, 3), (4, 2, 1), (5, 2, 2), (6, 2, 3),
    ]  # fmt: skip
    assert batches[0]["metrics"] == {
        "batch/box_loss": 1.0,
        "batch/cls_loss": 2.0,
        "batch/loss": 3.0,
        "batch/lr": 0.01,
    }
    assert batches[-1]["progress"]["eta_s"] == 0
    epochs = [r for r in out if "train/box_loss" in r["metrics"]]
    assert [r["epoch"] for r in epochs] == [1, 2]
    assert epochs[0]["metrics"] == {
        "train/box_loss": 1.5,
        "train/cls_loss": 2.5,
        "metrics/mAP50(B)": 0.1,
        "val/box_loss": 3.0,
        "lr/pg0": 0.01,
        "lr/pg1": 0.02,
    }
    assert out[-1] == {"t": out[-1]["t"], "metrics": {"final/mAP50(B)": 0.3}}
    assert yolo.parse_args is not None


FAKE_RAVE = """#!{python}
import os, sys
if sys.argv[1] == "preprocess":
    for i in range(1, 4):
        sys.stdout.write(f"\\rdataset length: 0:00:0{{i}}: : {{i}}it [00:00, 9.1it/s]")
        sys.stdout.flush()
    print()
    if os.environ.get("FAIL"):
        sys.exit(3)
    os.makedirs("db", exist_ok=True)
    open("db/data.mdb", "wb").close()
else:
    print("training", " ".join(sys.argv[1:]), "in", os.getpid())
"""


@pytest.mark.parametrize("fail", [False, True])
def test_rave_pipeline_preprocesses_then_becomes_the_training(tmp_path: Path, fail: bool) -> None:
    rave = tmp_path / "bin" / "rave"
    rave.parent.mkdir()
    rave.write_text(FAKE_RAVE.format(python=sys.executable))
    rave.chmod(0o755)
    audio = tmp_path / "audio" / "sub"
    audio.mkdir(parents=True)
    for name in ("a.wav", "b.FLAC", "c.mp3", "notes.txt"):
        (audio / name).write_bytes(b"")
    run = tmp_path / "run"
    run.mkdir()
    argv = [sys.executable, str(RUNNERS / "rave_pipeline.py"), "--input_path", str(audio.parent)]
    argv += ["--output_path", "./db", "--", str(rave), "train", "--db_path", "./db"]
    env = {"TUITRAIN_RUN_DIR": str(run), "PATH": "/usr/bin:/bin", **({"FAIL": "1"} if fail else {})}
    proc = subprocess.Popen(argv, cwd=run, env=env, stdout=subprocess.PIPE)
    out = proc.communicate(timeout=60)[0].decode()  # bytes: the bar's \r kept
    progress = [r["progress"] for r in records(run / "metrics.jsonl")]
    # The latest count of what was read at once: steps rise to the number of files.
    assert progress[-1] == {"step": 3, "total_steps": 3}
    assert [p["step"] for p in progress] == sorted({p["step"] for p in progress})
    lines = out.split("\n")[:-1]
    assert lines[0] == "== rave preprocess (3 audio files)"
    assert "\rdataset length: 0:00:03: : 3it [00:00, 9.1it/s]\n" in out
    if fail:
        assert proc.returncode == 3
        assert lines[-1] == "rave preprocess failed with exit code 3: no training"
        return
    assert proc.returncode == 0
    # The same process goes on as `rave train` (exec).
    assert lines[-2:] == ["== rave train", f"training train --db_path ./db in {proc.pid}"]
    assert (run / "db" / "data.mdb").is_file()


def test_detr_reads_roboflow_coco_without_its_group_category(
    load_runner: Any, tmp_path: Path
) -> None:
    detr_data = load_runner("detr_data")
    data = detr_data.load_detection_data(str(tiny_coco_dataset(tmp_path / "coco")))
    assert data.id2label == {0: "red", 1: "blue"}
    assert (len(data.train.images), len(data.val.images)) == (8, 4)
    path, width, height, boxes = data.train.images[0]
    assert path.endswith("/train/train_000.jpg") and (width, height) == (64, 64)
    assert boxes and all(label in (0, 1) and len(box) == 4 for label, box in boxes)


def test_detr_reads_an_export_and_holds_out_a_validation_split(
    load_runner: Any, tmp_path: Path
) -> None:
    detr_data = load_runner("detr_data")
    folder = tmp_path / "export"
    (folder / "images").mkdir(parents=True)
    images = [{"id": i, "file_name": f"{i}.png", "width": 10, "height": 10} for i in range(6)]
    for image in images:
        (folder / "images" / image["file_name"]).write_bytes(b"")
    doc = {
        "images": images,
        "annotations": [{"image_id": 2, "category_id": 5, "bbox": [1, 2, 3, 4]}],
        "categories": [{"id": 5, "name": "duck", "supercategory": "duck"}],
    }
    (folder / "annotations.json").write_text(json.dumps(doc))
    data = detr_data.load_detection_data(str(folder))
    assert data.id2label == {0: "duck"}
    assert [Path(p).name for p, *_ in data.val.images] == ["4.png"]
    assert [b for *_, b in data.train.images][2] == [(0, [1.0, 2.0, 3.0, 4.0])]
    with pytest.raises(detr_data.DatasetProblem, match="no COCO annotations"):
        detr_data.load_detection_data(str(tmp_path))


def test_detr_converts_a_yolo_dataset(load_runner: Any, tmp_path: Path) -> None:
    pytest.importorskip("yaml")
    detr_data = load_runner("detr_data")
    data_yaml = tiny_yolo_dataset(tmp_path / "ducks")
    data = detr_data.load_detection_data(str(data_yaml))
    assert data.id2label == {0: "red", 1: "blue"}
    assert (len(data.train.images), len(data.val.images)) == (16, 8)
    path, width, _h, boxes = data.train.images[0]
    label = Path(path.replace("/images/", "/labels/")).with_suffix(".txt").read_text().split()
    x, y, w, h = (float(v) * width for v in label[1:5])
    assert boxes[0][0] == int(label[0])
    assert boxes[0][1] == pytest.approx([x - w / 2, y - h / 2, w, h])
