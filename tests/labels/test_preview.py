"""The preview PNG: each box drawn where its coordinates say, in its class's colour,
with its class name on a tab above it; the source image is never touched."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from tuitrain.preview import DrawnBox, PreviewError, class_colour, render_boxes

GREY = (128, 128, 128)


def grey_image(path: Path, size: tuple[int, int] = (200, 150)) -> Path:
    Image.new("RGB", size, GREY).save(path, "PNG")
    return path


def test_box_edges_in_the_class_colour(tmp_path: Path) -> None:
    source = grey_image(tmp_path / "in.png")
    before = source.read_bytes()
    box = DrawnBox("dog", 40, 60, 120, 130, class_index=1)
    out = render_boxes(source, [box], tmp_path / "out" / "preview.png")
    assert out == tmp_path / "out" / "preview.png"
    img = Image.open(out).convert("RGB")
    assert img.size == (200, 150)
    colour = class_colour(1)
    # The four edges, at their middles.
    assert img.getpixel((40, 95)) == colour
    assert img.getpixel((120, 95)) == colour
    assert img.getpixel((80, 130)) == colour
    assert img.getpixel((80, 60)) == colour
    # Inside and outside stay as they were.
    assert img.getpixel((80, 95)) == GREY
    assert img.getpixel((160, 140)) == GREY
    # The caption's tab sits just above the top edge, in the same colour.
    assert img.getpixel((41, 58)) == colour
    assert source.read_bytes() == before


def test_classes_get_distinct_fixed_colours(tmp_path: Path) -> None:
    assert class_colour(0) != class_colour(1) != class_colour(2)
    assert class_colour(0) == class_colour(20)  # the palette wraps
    source = grey_image(tmp_path / "in.png")
    boxes = [
        DrawnBox("cat", 10, 30, 60, 80, 0, score=0.91),
        DrawnBox("bird", 100, 30, 180, 140, 2),
    ]
    img = Image.open(render_boxes(source, boxes, tmp_path / "p.png")).convert("RGB")
    assert img.getpixel((10, 55)) == class_colour(0)
    assert img.getpixel((180, 85)) == class_colour(2)


def test_box_at_the_top_keeps_its_caption_inside(tmp_path: Path) -> None:
    source = grey_image(tmp_path / "in.png")
    box = DrawnBox("cat", 0, 0, 199, 149, 3)
    img = Image.open(render_boxes(source, [box], tmp_path / "p.png")).convert("RGB")
    assert img.getpixel((199, 75)) == class_colour(3)
    assert img.getpixel((100, 149)) == class_colour(3)
    assert img.getpixel((1, 3)) == class_colour(3)  # the tab, inside the box


def test_grayscale_source_and_reversed_corners(tmp_path: Path) -> None:
    source = tmp_path / "g.png"
    Image.new("L", (50, 40), 10).save(source)
    box = DrawnBox("x", 40, 30, 10, 20, 0)  # corners given the other way round
    img = Image.open(render_boxes(source, [box], tmp_path / "p.png")).convert("RGB")
    assert img.getpixel((10, 25)) == class_colour(0)
    assert img.getpixel((40, 25)) == class_colour(0)


def test_unreadable_image_is_a_one_line_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_text("not an image")
    with pytest.raises(PreviewError, match="cannot read image") as info:
        render_boxes(bad, [], tmp_path / "p.png")
    assert "\n" not in str(info.value)
    assert not (tmp_path / "p.png").exists()
