"""A tiny DETR trained for real (from scratch, 2 epochs, 64 px COCO images), then
``tuitrain predict`` through the same runner: its ``final_model.pt`` rebuilt from the
saved config and weights, boxes in pixels of the original image."""

from __future__ import annotations

import json

from tests.conftest import cli
from tests.inference.trained import TrainedHome


def test_predict_with_a_detr_model(trained_detr: TrainedHome) -> None:
    model = trained_detr.model
    assert model.name == "final_model.pt"
    images = [str(p) for p in trained_detr.images[:2]]
    proc = cli(
        trained_detr.home,
        "predict",
        str(model.id),
        *images,
        "--conf",
        "0.0001",
        "--iou",
        "0.5",
        "--json",
        check=True,
    )
    doc = json.loads(proc.stdout)
    assert doc["model"]["framework"] == "detr"
    assert doc["model"]["classes"] == {"0": "red", "1": "blue"}
    assert [i["image"] for i in doc["images"]] == images
    for answer in doc["images"]:
        assert answer["ok"] and (answer["width"], answer["height"]) == (64, 64)
        assert answer["boxes"] and answer["inference_ms"] > 0
        for box in answer["boxes"]:
            assert box["label"] == {0: "red", 1: "blue"}[box["class_id"]]
            assert 0 <= box["x0"] <= box["x1"] <= 64 and 0 <= box["y0"] <= box["y1"] <= 64
    walls = [i["wall_ms"] for i in doc["images"]]
    print(f"DETR predict wall times: {walls}, start-up {doc['startup_ms']:.0f} ms")
