"""Which models inference offers: weights of COMPLETED runs still on disk; by id or
path, with a one-line reason for every model it refuses."""

from __future__ import annotations

from pathlib import Path

import pytest

from tuitrain.inference import ModelLookupError, collect_images, find_model, predictable_models
from tuitrain.store.db import Database
from tuitrain.store.experiments import ExperimentStore


@pytest.fixture
def store(tmp_path: Path) -> ExperimentStore:
    return ExperimentStore(Database(tmp_path / "t.db"))


def _weights(tmp_path: Path, name: str) -> str:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"weights")
    return str(path)


def test_only_completed_runs_with_weights_on_disk(store: ExperimentStore, tmp_path: Path) -> None:
    done = store.create(name="ducks", framework="yolo", status="COMPLETED")
    failed = store.create(name="broken", framework="yolo", status="FAILED")
    detr = store.create(name="shapes", framework="detr", status="COMPLETED")
    rave = store.create(name="tones", framework="rave", status="COMPLETED")
    assert done.id and failed.id and detr.id and rave.id
    best = _weights(tmp_path, "a/best.pt")
    store.add_models(
        done.id,
        "yolo",
        [("best.pt", best, {"metrics/mAP50(B)": 0.5}), ("last.pt", str(tmp_path / "gone.pt"), {})],
    )
    store.add_models(failed.id, "yolo", [("best.pt", _weights(tmp_path, "b/best.pt"), {})])
    final = _weights(tmp_path, "c/final_model.pt")
    store.add_models(
        detr.id,
        "detr",
        [("final_model.pt", final, {}), ("loss_plot.png", _weights(tmp_path, "c/loss.png"), {})],
    )
    store.add_models(rave.id, "rave", [("x.ckpt", _weights(tmp_path, "d/x.ckpt"), {})])

    offered = predictable_models(store)
    assert [(m.framework, m.name, m.experiment_name) for m in offered] == [
        ("detr", "final_model.pt", "shapes"),
        ("yolo", "best.pt", "ducks"),
    ]
    assert offered[1].metrics == {"metrics/mAP50(B)": 0.5}
    ids = {(m.experiment_id, m.name): m.id for m in store.models()}
    assert find_model(store, str(ids[(done.id, "best.pt")])).path == best
    reasons = {
        ids[(done.id, "last.pt")]: f"its weights file is gone ({tmp_path / 'gone.pt'})",
        ids[(failed.id, "best.pt")]: f"comes from run {failed.id}, which is FAILED",
        ids[(detr.id, "loss_plot.png")]: "(loss_plot.png) is not a weights file",
        ids[(rave.id, "x.ckpt")]: "is a rave model: inference takes YOLO or DETR",
    }
    for model_id, reason in reasons.items():
        with pytest.raises(ModelLookupError, match=r"^model \d+:? .*") as caught:
            find_model(store, str(model_id))
        assert str(caught.value).endswith(reason), caught.value


def test_a_path_keeps_the_framework_it_was_registered_with(
    store: ExperimentStore, tmp_path: Path
) -> None:
    exp = store.create(name="shapes", framework="detr", status="COMPLETED")
    assert exp.id
    final = _weights(tmp_path, "final_model.pt")
    store.add_models(exp.id, "detr", [("final_model.pt", final, {})])
    assert find_model(store, final).framework == "detr"
    other = _weights(tmp_path, "elsewhere/best.pt")
    assert find_model(store, other).framework == "yolo"
    assert find_model(store, other, "detr").framework == "detr"
    with pytest.raises(ModelLookupError, match=r"no such model file: /nope\.pt"):
        find_model(store, "/nope.pt")


def test_images_from_files_and_folders(tmp_path: Path) -> None:
    (tmp_path / "set" / "sub").mkdir(parents=True)
    for name in ("b.JPG", "a.png", "sub/c.webp", "notes.txt"):
        (tmp_path / "set" / name).write_bytes(b"x")
    loose = tmp_path / "loose.bin"
    loose.write_bytes(b"x")
    found = collect_images([tmp_path / "set", loose, tmp_path / "nope.png"])
    assert found == [
        (str(tmp_path / "set" / "a.png"), None),
        (str(tmp_path / "set" / "b.JPG"), None),
        (str(tmp_path / "set" / "sub" / "c.webp"), None),
        (str(loose), None),  # kept: the runner says whether it is an image
        (str(tmp_path / "nope.png"), f"no such file: {tmp_path / 'nope.png'}"),
    ]
