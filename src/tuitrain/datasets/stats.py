"""What a dataset holds: images by status, boxes per class and per image, image sizes,
splits, and warnings about class balance. Pure functions of rows, so the TUI can draw
the same numbers the CLI prints."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from tuitrain.datasets.boxes import Box
from tuitrain.store.models import DatasetImage

IMBALANCE_RATIO = 10.0
HISTOGRAM_TOP = 10  # boxes per image: 0..9, then "10+"


@dataclass(slots=True)
class DatasetStats:
    dataset_id: int
    name: str
    task: str
    classes: list[str]
    images: int = 0
    labeled: int = 0
    unlabeled: int = 0
    reviewed: int = 0
    background: int = 0  # labeled, no boxes
    boxes: int = 0
    boxes_per_class: dict[str, int] = field(default_factory=dict)
    images_per_class: dict[str, int] = field(default_factory=dict)
    boxes_per_image: dict[str, Any] = field(default_factory=dict)
    image_sizes: dict[str, Any] = field(default_factory=dict)
    splits: dict[str, int] = field(default_factory=dict)
    audio: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def compute_stats(
    dataset_id: int,
    name: str,
    task: str,
    classes: Sequence[str],
    items: Sequence[DatasetImage],
    boxes: Mapping[int, Sequence[Box]],
) -> DatasetStats:
    st = DatasetStats(dataset_id, name, task, list(classes), images=len(items))
    status = Counter(i.status for i in items)
    st.unlabeled, st.reviewed = status["unlabeled"], status["reviewed"]
    st.labeled = status["labeled"] + status["reviewed"]
    st.splits = {s: n for s, n in sorted(Counter(i.split or "none" for i in items).items())}
    if task == "audio":
        _audio(st, items)
        return st
    per_class: Counter[int] = Counter()
    images_with: Counter[int] = Counter()
    per_image: list[int] = []
    for item in items:
        if item.status == "unlabeled" or item.id is None:
            continue
        mine = boxes.get(item.id, ())
        per_image.append(len(mine))
        per_class.update(b.class_id for b in mine)
        images_with.update({b.class_id for b in mine})
    st.background = sum(1 for n in per_image if n == 0)
    st.boxes = sum(per_image)
    names = _names(classes, per_class)
    st.boxes_per_class = {names[c]: per_class[c] for c in sorted(names)}
    st.images_per_class = {names[c]: images_with[c] for c in sorted(names)}
    st.boxes_per_image = _per_image(per_image)
    st.image_sizes = _sizes(items)
    st.warnings = _warnings(st, names, per_class)
    return st


def _names(classes: Sequence[str], per_class: Counter[int]) -> dict[int, str]:
    names = dict(enumerate(classes))
    for c in per_class:
        names.setdefault(c, f"<unknown class {c}>")
    return names


def _per_image(counts: list[int]) -> dict[str, Any]:
    if not counts:
        return {"min": 0, "mean": 0.0, "max": 0, "histogram": {}}
    histogram: Counter[str] = Counter(
        str(n) if n < HISTOGRAM_TOP else f"{HISTOGRAM_TOP}+" for n in counts
    )
    order = [str(n) for n in range(HISTOGRAM_TOP)] + [f"{HISTOGRAM_TOP}+"]
    return {
        "min": min(counts),
        "mean": round(sum(counts) / len(counts), 3),
        "max": max(counts),
        "histogram": {k: histogram[k] for k in order if histogram[k]},
    }


def _sizes(items: Sequence[DatasetImage]) -> dict[str, Any]:
    sizes = [(i.width, i.height) for i in items if i.width and i.height]
    if not sizes:
        return {}
    common = Counter(f"{w}x{h}" for w, h in sizes).most_common(5)
    return {
        "min_width": min(w for w, _ in sizes),
        "max_width": max(w for w, _ in sizes),
        "min_height": min(h for _, h in sizes),
        "max_height": max(h for _, h in sizes),
        "common": [{"size": s, "count": n} for s, n in common],
    }


def _warnings(st: DatasetStats, names: Mapping[int, str], per_class: Counter[int]) -> list[str]:
    out: list[str] = []
    if st.images == 0:
        return ["the dataset has no images"]
    if st.unlabeled:
        out.append(f"{st.unlabeled} image(s) unlabeled: they are left out of splits and training")
    for c, name in names.items():
        if c >= len(st.classes):
            out.append(f"{per_class[c]} box(es) use class id {c}, which has no name")
        elif per_class[c] == 0 and st.labeled:
            out.append(f"class {name!r} has no boxes")
    present = {c: n for c, n in per_class.items() if n and c < len(st.classes)}
    if len(present) > 1:
        top = max(present.values())
        for c, n in sorted(present.items()):
            if top / n >= IMBALANCE_RATIO:
                out.append(
                    f"class imbalance: {names[c]!r} has {n} box(es), "
                    f"{top / n:.0f}x fewer than the largest class ({top})"
                )
    if st.labeled and "none" in st.splits and st.splits["none"] >= st.labeled:
        out.append("not split yet: run a split before training")
    return out


def _audio(st: DatasetStats, items: Sequence[DatasetImage]) -> None:
    durations = [i.duration_s or 0.0 for i in items]
    st.audio = {
        "files": len(items),
        "total_duration_s": round(sum(durations), 3),
        "sample_rates": {
            str(k): v for k, v in sorted(Counter(i.sample_rate for i in items).items(), key=str)
        },
        "channels": {
            str(k): v for k, v in sorted(Counter(i.channels for i in items).items(), key=str)
        },
    }
    if not items:
        st.warnings.append("the dataset has no audio files")
    if len(st.audio["sample_rates"]) > 1:
        st.warnings.append("mixed sample rates: rave preprocess resamples them to one rate")


def bar_chart(values: Mapping[str, int], width: int = 40) -> list[str]:
    """Text bars for a terminal, one line per key."""
    if not values:
        return []
    top = max(values.values()) or 1
    label_w = max(len(k) for k in values)
    count_w = max(len(str(v)) for v in values.values())
    return [
        f"{k:<{label_w}} {v:>{count_w}} {'█' * round(v / top * width)}" for k, v in values.items()
    ]
