"""A small real detection dataset made by the datasets service from PNGs and YOLO
labels: ``street`` with classes car, person, bike and four 200x100 images:

- ``img0.png``: two boxes (labeled),
- ``img1.png``: one box (labeled),
- ``img2.png``: background (labeled, empty label file),
- ``img3.png``: no label file (unlabeled).
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from tuitrain.datasets.service import DatasetService

CLASSES = ["car", "person", "bike"]
SIZE = (200, 100)
LABELS = {
    "img0": "0 0.5 0.5 0.2 0.4\n1 0.25 0.3 0.1 0.2\n",
    "img1": "2 0.7 0.6 0.3 0.5\n",
    "img2": "",
}
BACKGROUNDS = ((90, 90, 90), (40, 60, 80), (200, 200, 200), (30, 120, 30))


def write_image(path: Path, colour: tuple[int, int, int], size: tuple[int, int] = SIZE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, "PNG")


def make_dataset(home: Path, src: Path, split: bool = False) -> int:
    (src / "labels").mkdir(parents=True)
    for i, colour in enumerate(BACKGROUNDS):
        write_image(src / "images" / f"img{i}.png", colour)
    for stem, text in LABELS.items():
        (src / "labels" / f"{stem}.txt").write_text(text)
    service = DatasetService(home)
    try:
        ds = service.create_dataset("street", "detection", CLASSES)
        report = service.import_files(ds.id, [src / "images"], "yolo", src / "labels")
        assert report.count("imported") == 4
        if split:
            service.split(ds.id, val=0.34, seed=1)
        return ds.id
    finally:
        service.close()


def label_file(home: Path, dataset_id: int, stem: str) -> Path:
    return home / "datasets" / str(dataset_id) / "labels" / f"{stem}.txt"
