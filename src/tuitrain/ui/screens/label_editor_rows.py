"""What the label editor's tables and status lines say (normalised values to three
decimals, pixels to one: the label file keeps full precision): pure functions of the
editing session, so tests and snapshots read the same texts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from tuitrain.datasets.label_edit import ImageEntry, PixelBox

FILTERS = ("all", "unlabeled", "labeled", "reviewed")
IMAGE_COLUMNS = (("Image", "file"), ("Status", "status"), ("Box", "boxes"))
BOX_COLUMNS = (
    ("Class", "class"),
    ("x px", "x"),
    ("y px", "y"),
    ("w px", "w"),
    ("h px", "h"),
    ("x", "nx"),
    ("y", "ny"),
    ("w", "nw"),
    ("h", "nh"),
)
NAME_WIDTH = 14


def short_name(filename: str, width: int = NAME_WIDTH) -> str:
    return filename if len(filename) <= width else filename[: width - 1] + "…"


def image_row(entry: ImageEntry) -> tuple[str, str, str]:
    return short_name(entry.filename), entry.status, str(entry.boxes)


def box_row(p: PixelBox) -> tuple[str, ...]:
    b = p.box
    return (
        f"{p.class_id} {p.class_name}",
        f"{p.x:.1f}",
        f"{p.y:.1f}",
        f"{p.w:.1f}",
        f"{p.h:.1f}",
        f"{b.x_center:.3f}",
        f"{b.y_center:.3f}",
        f"{b.width:.3f}",
        f"{b.height:.3f}",
    )


def visible(entries: Sequence[ImageEntry], filter_name: str) -> list[ImageEntry]:
    if filter_name == "all":
        return list(entries)
    return [e for e in entries if e.status == filter_name]


def counts_text(entries: Sequence[ImageEntry]) -> str:
    by_status = Counter(e.status for e in entries)
    return (
        f"{len(entries)} images: {by_status['unlabeled']} unlabeled, "
        f"{by_status['labeled']} labeled, {by_status['reviewed']} reviewed"
    )


def next_filter(current: str) -> str:
    return FILTERS[(FILTERS.index(current) + 1) % len(FILTERS)]
