"""An image with its boxes and class names drawn on it (Pillow), written to a PNG.

Used by the label editor (labels being edited) and by inference (detections with
scores). Each class index has a fixed colour, so a class looks the same in every
preview; the file is written to a temporary name and renamed, so a viewer watching
it never reads half an image.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, UnidentifiedImageError

# Distinct, saturated colours (Ultralytics' palette order): class i gets PALETTE[i % 20].
PALETTE: tuple[tuple[int, int, int], ...] = (
    (255, 56, 56),
    (255, 157, 151),
    (255, 112, 31),
    (255, 178, 29),
    (207, 210, 49),
    (72, 249, 10),
    (146, 204, 23),
    (61, 219, 134),
    (26, 147, 52),
    (0, 212, 187),
    (44, 153, 168),
    (0, 194, 255),
    (52, 69, 147),
    (100, 115, 255),
    (0, 24, 236),
    (132, 56, 255),
    (82, 0, 133),
    (203, 56, 255),
    (255, 149, 200),
    (255, 55, 199),
)
LABEL_TEXT = (255, 255, 255)


class PreviewError(ValueError):
    """The image cannot be read or the preview cannot be written (one line)."""


@dataclass(frozen=True, slots=True)
class DrawnBox:
    """A box to draw, in pixel coordinates of the image (corners, inclusive)."""

    label: str
    x0: float
    y0: float
    x1: float
    y1: float
    class_index: int
    score: float | None = None

    @property
    def caption(self) -> str:
        return self.label if self.score is None else f"{self.label} {self.score:.2f}"


def class_colour(class_index: int) -> tuple[int, int, int]:
    return PALETTE[class_index % len(PALETTE)]


def line_width(size: tuple[int, int]) -> int:
    """About 0.3% of the image's larger side, at least one pixel."""
    return max(1, round(max(size) / 320))


def render_boxes(image: Path, boxes: Sequence[DrawnBox], out: Path) -> Path:
    """Draw ``boxes`` on ``image`` and write the result to ``out`` (PNG); returns ``out``."""
    try:
        with Image.open(image) as source:
            canvas = source.convert("RGB")
    except (OSError, UnidentifiedImageError) as exc:
        raise PreviewError(f"cannot read image {image}: {exc}") from exc
    draw_boxes(canvas, boxes)
    _write_png(canvas, out)
    return out


def draw_boxes(canvas: Image.Image, boxes: Sequence[DrawnBox]) -> None:
    """Rectangles first, captions after, so no box hides another's name."""
    draw = ImageDraw.Draw(canvas)
    width = line_width(canvas.size)
    for box in boxes:
        draw.rectangle(_corners(box), outline=class_colour(box.class_index), width=width)
    font = _font(canvas.size)
    for box in boxes:
        _caption(draw, box, font, canvas.size)


def _corners(box: DrawnBox) -> tuple[int, int, int, int]:
    x0, x1 = sorted((round(box.x0), round(box.x1)))
    y0, y1 = sorted((round(box.y0), round(box.y1)))
    return x0, y0, x1, y1


def _font(size: tuple[int, int]) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    points = max(10, min(size) // 30)
    try:
        return ImageFont.load_default(size=points)
    except (OSError, ImportError):  # no FreeType: the bitmap font
        return ImageFont.load_default()


def _caption(
    draw: ImageDraw.ImageDraw,
    box: DrawnBox,
    font: ImageFont.ImageFont | ImageFont.FreeTypeFont,
    size: tuple[int, int],
) -> None:
    """The class name on a filled tab above the box (inside it at the image's top)."""
    x0, y0, _x1, _y1 = _corners(box)
    left, top, right, bottom = draw.textbbox((0, 0), box.caption, font=font)
    tab_w, tab_h = right - left + 4, bottom - top + 2
    tx = min(max(0, x0), max(0, size[0] - tab_w))
    ty = y0 - tab_h if y0 - tab_h >= 0 else y0 + 1
    draw.rectangle((tx, ty, tx + tab_w - 1, ty + tab_h - 1), fill=class_colour(box.class_index))
    draw.text((tx + 2 - left, ty + 1 - top), box.caption, fill=LABEL_TEXT, font=font)


def _write_png(canvas: Image.Image, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{out.stem}-", suffix=".png", dir=out.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            canvas.save(fh, "PNG")
        os.replace(tmp, out)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise PreviewError(f"cannot write preview {out}: {exc}") from exc
