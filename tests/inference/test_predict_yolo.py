"""End to end: a tiny YOLO model trained for real, then ``tuitrain predict`` on its
validation images, in the JSON shape the README documents.

A model trained for 2 epochs on 16 images finds little at the default ``--conf 0.25``,
so these tests ask for ``--conf 0.0001``: there are detections to check the shape of.
"""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from tests.conftest import cli
from tests.inference.trained import TrainedHome

BOX_KEYS = {"class_id", "label", "confidence", "x0", "y0", "x1", "y1"}
IMAGE_KEYS = {"image", "ok", "width", "height", "inference_ms", "wall_ms", "boxes", "annotated"}


def test_predict_json_shape_and_a_fast_second_request(trained_yolo: TrainedHome) -> None:
    first, second = trained_yolo.images[:2]
    model_id = str(trained_yolo.model.id)
    proc = cli(
        trained_yolo.home,
        "predict",
        model_id,
        str(first),
        str(second),
        "--conf",
        "0.0001",
        "--json",
        check=True,
    )
    doc = json.loads(proc.stdout)
    assert set(doc) == {"model", "conf", "iou", "device", "startup_ms", "images"}
    assert doc["model"] == {
        "id": trained_yolo.model.id,
        "name": "best.pt",
        "framework": "yolo",
        "path": trained_yolo.model.path,
        "classes": {"0": "red", "1": "blue"},
    }
    assert (doc["conf"], doc["iou"], doc["device"]) == (0.0001, 0.7, "cpu")
    assert doc["startup_ms"] > 0
    assert [i["image"] for i in doc["images"]] == [str(first), str(second)]
    for answer in doc["images"]:
        assert set(answer) == IMAGE_KEYS and answer["ok"] is True
        assert (answer["width"], answer["height"]) == (64, 64)
        assert answer["annotated"] is None
        assert answer["boxes"], "conf 0.0001 keeps the model's weakest guesses"
        scores = [b["confidence"] for b in answer["boxes"]]
        assert scores == sorted(scores, reverse=True)
        for box in answer["boxes"]:
            assert set(box) == BOX_KEYS
            assert box["label"] == {0: "red", 1: "blue"}[box["class_id"]]
            assert 0.0001 <= box["confidence"] <= 1
            assert 0 <= box["x0"] <= box["x1"] <= 64 and 0 <= box["y0"] <= box["y1"] <= 64
        assert 0 < answer["inference_ms"] < answer["wall_ms"]
    # The model stays loaded: the second request skips the first one's set-up.
    walls = [i["wall_ms"] for i in doc["images"]]
    print(
        f"predict wall times: first {walls[0]:.1f} ms, second {walls[1]:.1f} ms, "
        f"start-up {doc['startup_ms']:.0f} ms"
    )
    assert walls[0] >= 5 * walls[1], walls


def test_bad_images_fail_alone(trained_yolo: TrainedHome, tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("not a picture")
    folder = tmp_path / "shots"
    folder.mkdir()
    for image in trained_yolo.images[:3]:
        (folder / image.name).write_bytes(image.read_bytes())
    (folder / "readme.md").write_text("ignored: not an image name")
    empty = tmp_path / "empty"
    empty.mkdir()
    missing = tmp_path / "missing.png"
    save = tmp_path / "annotated with spaces"
    proc = cli(
        trained_yolo.home,
        "predict",
        trained_yolo.model.path,
        str(text),
        str(folder),
        str(missing),
        str(empty),
        "--conf",
        "0.0001",
        "--save",
        str(save),
        "--json",
    )
    assert proc.returncode == 1, proc.stderr
    images = json.loads(proc.stdout)["images"]
    assert [(Path(i["image"]).name, i["ok"]) for i in images] == [
        ("notes.txt", False),
        *[(p.name, True) for p in trained_yolo.images[:3]],
        ("missing.png", False),
        ("empty", False),
    ]
    assert images[0]["error"] == f"not an image: {text}"
    assert images[4]["error"] == f"no such file: {missing}"
    assert images[5]["error"] == f"no images in folder: {empty}"
    for answer in images[1:4]:
        annotated = Path(answer["annotated"])
        assert annotated.parent == save and annotated.suffix == ".png"
        with Image.open(annotated) as drawn:
            assert drawn.size == (64, 64)
    # Six images: a progress line on stderr, ending at the total.
    assert proc.stderr.strip().splitlines()[-1] == "predict: 6/6 images, 3 failed"


def test_readable_table(trained_yolo: TrainedHome) -> None:
    image = trained_yolo.images[0]
    proc = cli(
        trained_yolo.home,
        "predict",
        str(trained_yolo.model.id),
        str(image),
        "--conf",
        "0.0001",
        check=True,
    )
    lines = proc.stdout.splitlines()
    assert lines[0].startswith(f"model {trained_yolo.model.id} (yolo best.pt of run ")
    assert lines[0].endswith("conf 0.0001, iou 0.7; classes: red, blue")
    assert lines[1].startswith(f"{image}  64x64  ") and " ms  wall " in lines[1]
    assert lines[2].split() == ["class", "conf", "x0", "y0", "x1", "y1"]
    assert lines[3].split()[1] in {"red", "blue"}


def test_unusable_models_are_one_line_errors(trained_yolo: TrainedHome, tmp_path: Path) -> None:
    image = str(trained_yolo.images[0])
    cases = {
        "999": "tuitrain: error: no model 999 (see tuitrain models)",
        str(tmp_path / "nope.pt"): f"tuitrain: error: no such model file: {tmp_path / 'nope.pt'} "
        "(give a model id or a weights file)",
    }
    for model, message in cases.items():
        proc = cli(trained_yolo.home, "predict", model, image)
        assert (proc.returncode, proc.stderr.strip()) == (2, message)
    proc = cli(trained_yolo.home, "predict", str(trained_yolo.model.id), image, "--conf", "2")
    assert (proc.returncode, proc.stderr.strip()) == (
        2,
        "tuitrain: error: --conf must be between 0 and 1, got 2",
    )
    broken = tmp_path / "broken.pt"
    broken.write_bytes(b"not a checkpoint")
    proc = cli(trained_yolo.home, "predict", str(broken), image)
    assert proc.returncode == 2
    assert proc.stderr.startswith(f"tuitrain: error: cannot load {broken}: ")
    assert len(proc.stderr.strip().splitlines()) == 1
