"""What the Datasets screen reads and writes through the datasets service (each call
opens and closes its own service: they run in thread workers), and the statistics
panel's text."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rich.style import Style
from rich.text import Text

from tuitrain.datasets.service import DatasetService, DatasetStats, DatasetSummary, SplitReport
from tuitrain.datasets.stats import bar_chart
from tuitrain.datasets.validate import ValidationResult
from tuitrain.ui.screens.dataset_forms import CreateRequest, SplitRequest

BAR_WIDTH = 30
CLASSES_WIDTH = 40


@dataclass(frozen=True, slots=True)
class DatasetDetail:
    """What the stats panel shows for one dataset (read in a worker thread)."""

    stats: DatasetStats
    validation: ValidationResult


def load_detail(home: Path | None, dataset_id: int) -> DatasetDetail:
    service = DatasetService(home)
    try:
        return DatasetDetail(service.stats(dataset_id), service.validate(dataset_id))
    finally:
        service.close()


def load_datasets(home: Path | None) -> list[DatasetSummary]:
    service = DatasetService(home)
    try:
        return service.list_datasets()
    finally:
        service.close()


def create_dataset(home: Path | None, request: CreateRequest) -> DatasetSummary:
    service = DatasetService(home)
    try:
        return service.create_dataset(request.name, request.task, request.classes)
    finally:
        service.close()


def split_dataset(home: Path | None, dataset_id: int, request: SplitRequest) -> SplitReport:
    service = DatasetService(home)
    try:
        return service.split(dataset_id, request.val, request.test, request.seed)
    finally:
        service.close()


def classes_text(classes: list[str], width: int = CLASSES_WIDTH) -> str:
    text = ", ".join(classes) if classes else "-"
    return text if len(text) <= width else text[: width - 1] + "…"


def detail_text(detail: DatasetDetail) -> Text:
    """The stats panel: counts, bars, warnings and validation problems."""
    st, check = detail.stats, detail.validation
    muted, bold = Style(dim=True), Style(bold=True)
    text = Text()

    def row(label: str, value: str) -> None:
        text.append(f"{label:<12}", style=muted)
        text.append(f"{value}\n")

    text.append(f"#{st.dataset_id} {st.name}", style=bold)
    text.append(f" · {st.task}\n")
    if st.task == "audio":
        audio = st.audio
        row("files", str(audio.get("files", 0)))
        row("duration", f"{audio.get('total_duration_s', 0.0):.1f} s")
        rates = ", ".join(f"{k} Hz ({v})" for k, v in audio.get("sample_rates", {}).items())
        row("rates", rates or "-")
    else:
        row("images", str(st.images))
        row("labeled", f"{st.labeled} ({st.reviewed} reviewed, {st.background} background)")
        row("unlabeled", str(st.unlabeled))
        row("boxes", str(st.boxes))
        per_image = st.boxes_per_image
        if per_image:
            row(
                "per image",
                f"min {per_image['min']}, mean {per_image['mean']}, max {per_image['max']}",
            )
        sizes = st.image_sizes
        if sizes:
            row(
                "sizes",
                f"{sizes['min_width']}-{sizes['max_width']} x "
                f"{sizes['min_height']}-{sizes['max_height']}",
            )
        row("splits", ", ".join(f"{k} {v}" for k, v in st.splits.items()) or "-")
        text.append("\nBoxes per class\n", style=bold)
        bars = bar_chart(st.boxes_per_class, BAR_WIDTH)
        for line in bars or ["(no classes)"]:
            text.append(f"  {line}\n")
    if st.warnings:
        text.append("\nWarnings\n", style=bold)
        for warning in st.warnings:
            text.append("  ⚠ ", style="yellow")
            text.append(f"{warning}\n")
    text.append("\nBefore training\n", style=bold)
    if check.ok and not check.warnings:
        text.append("  ✔ ready to train\n", style="green")
    for error in check.errors:
        text.append("  ✘ ", style="red")
        text.append(f"{error}\n")
    for warning in check.warnings:
        text.append("  ⚠ ", style="yellow")
        text.append(f"{warning}\n")
    text.rstrip()
    return text
