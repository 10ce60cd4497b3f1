"""Statistics and the checks the training wizard runs."""

from __future__ import annotations

from pathlib import Path

from tests.datasets.helpers import write_image
from tuitrain.datasets.label_edit import ImageLabelEditor
from tuitrain.datasets.service import DatasetService
from tuitrain.datasets.stats import bar_chart


def build(service: DatasetService, tmp_path: Path) -> int:
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "classes.txt").write_text("common\nrare\nnever\n")
    for i in range(24):
        write_image(tmp_path / "img" / f"i{i}.png", i, size=(40 + (i % 2) * 10, 30))
        if i == 23:
            continue  # unlabeled
        boxes = "0 0.5 0.5 0.1 0.1\n" * 5 if i else "1 0.5 0.5 0.1 0.1\n"
        (labels / f"i{i}.txt").write_text(boxes if i != 22 else "")
    ds = service.create_dataset("stats", "detection", ["common", "rare", "never"])
    service.import_files(ds.id, [tmp_path / "img"], "yolo", labels)
    return ds.id


def test_stats_counts_and_warnings(service: DatasetService, tmp_path: Path) -> None:
    dataset_id = build(service, tmp_path)
    st = service.stats(dataset_id)
    assert (st.images, st.labeled, st.unlabeled, st.background) == (24, 23, 1, 1)
    assert st.boxes == 1 + 21 * 5
    assert st.boxes_per_class == {"common": 105, "rare": 1, "never": 0}
    assert st.boxes_per_image["max"] == 5 and st.boxes_per_image["histogram"]["5"] == 21
    assert st.image_sizes["min_width"] == 40 and st.image_sizes["max_width"] == 50
    text = "\n".join(st.warnings)
    assert "1 image(s) unlabeled" in text
    assert "class 'never' has no boxes" in text
    assert "class imbalance: 'rare' has 1 box(es)" in text
    assert "not split yet" in text
    assert st.to_dict()["boxes_per_class"]["common"] == 105
    assert bar_chart({"a": 10, "bb": 5}, width=10) == ["a  10 ██████████", "bb  5 █████"]


def test_validation_before_and_after_split(service: DatasetService, tmp_path: Path) -> None:
    dataset_id = build(service, tmp_path)
    before = service.validate(dataset_id, framework="yolo")
    assert not before.ok and any("not split" in e for e in before.errors)
    service.split(dataset_id, val=0.25)
    after = service.validate(dataset_id, framework="detr")
    assert after.ok, after.errors
    assert after.warnings == ["1 unlabeled image(s) will not be used"]
    assert any("at most 2" in e for e in service.validate(dataset_id, max_classes=2).errors)
    wrong = service.validate(dataset_id, expected_classes=["common", "rare"])
    assert any("trained on classes" in e for e in wrong.errors)
    assert any("audio" in e for e in service.validate(dataset_id, framework="rave").errors)
    assert service.validate(404).errors == ["no dataset with id 404"]
    Path(service.store.items(dataset_id)[0].path).unlink()
    assert any("missing on disk" in e for e in service.validate(dataset_id).errors)


def test_empty_dataset_is_not_trainable(service: DatasetService) -> None:
    ds = service.create_dataset("nothing", "detection")
    result = service.validate(ds.id)
    assert "the dataset has no images" in result.errors
    assert "the dataset has no classes" in result.errors
    assert service.stats(ds.id).warnings == ["the dataset has no images"]


def test_images_labeled_after_the_split_are_reported(
    service: DatasetService, tmp_path: Path
) -> None:
    dataset_id = build(service, tmp_path)
    service.split(dataset_id, val=0.25)
    item = next(i for i in service.store.items(dataset_id) if i.status == "unlabeled")
    editor = ImageLabelEditor(service.store, item, ["common", "rare", "never"])
    editor.add(0)  # labeled in the label editor, after the split
    assert editor.save()
    result = service.validate(dataset_id, framework="yolo")
    assert result.ok
    assert result.warnings == [
        "1 labeled image(s) are in no split and will not be used: "
        "run `tuitrain dataset split` again"
    ]
