"""An answered image drawn with its detections (class name and score on each box)."""

from __future__ import annotations

from pathlib import Path

from tuitrain.inference.results import ImageResult
from tuitrain.preview import DrawnBox, render_boxes


def drawn_boxes(result: ImageResult) -> list[DrawnBox]:
    return [
        DrawnBox(b.label, b.x0, b.y0, b.x1, b.y1, class_index=b.class_id, score=b.confidence)
        for b in result.boxes
    ]


def annotated_name(image: str, taken: set[str]) -> str:
    """``photo.png`` for ``.../photo.jpg``; ``photo-2.png`` when that name is taken."""
    stem = Path(image).stem or "image"
    name, n = f"{stem}.png", 1
    while name in taken:
        n += 1
        name = f"{stem}-{n}.png"
    taken.add(name)
    return name


def annotate(result: ImageResult, out: Path) -> Path:
    """Draw ``result``'s boxes on its image into ``out`` (a PNG, written atomically).
    Raises ``PreviewError`` (a ValueError) when the image cannot be read or written."""
    return render_boxes(Path(result.image), drawn_boxes(result), out)
