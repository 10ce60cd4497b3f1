"""What the inference screen writes in its tables and fields: pure functions of the
models and results, so the screen stays small and the texts are tested alone."""

from __future__ import annotations

import shlex
from pathlib import Path

from tuitrain.inference import ImageResult, PredictableModel, RunnerReady

MODEL_COLUMNS = (("ID", "id"), ("Run", "run"), ("Model", "model"), ("mAP50", "map"))
IMAGE_COLUMNS = (("Image", "image"), ("Boxes", "boxes"), ("Infer ms", "infer"), ("Wall ms", "wall"))
BOX_COLUMNS = (
    ("Class", "class"),
    ("Conf", "conf"),
    ("x0", "x0"),
    ("y0", "y0"),
    ("x1", "x1"),
    ("y1", "y1"),
)
NAME_WIDTH = 24


def short(text: str, width: int = NAME_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def model_row(model: PredictableModel) -> tuple[str, ...]:
    score = model.metrics.get("metrics/mAP50(B)")
    run = f"#{model.experiment_id} {model.experiment_name}" if model.experiment_id else "-"
    return (
        str(model.id),
        short(run, 18),
        f"{model.framework} {model.name}" + (f" @{model.host}" if model.is_remote else ""),
        "-" if score is None else f"{score:.3f}",
    )


def image_row(result: ImageResult) -> tuple[str, ...]:
    name = short(Path(result.image).name)
    if not result.ok:
        return (name, "error", "-", "-")
    return (name, str(len(result.boxes)), f"{result.inference_ms:.1f}", f"{result.wall_ms:.1f}")


def box_rows(result: ImageResult) -> list[tuple[str, ...]]:
    return [
        (
            short(f"{b.class_id} {b.label}", 16),
            f"{b.confidence:.3f}",
            f"{b.x0:.0f}",
            f"{b.y0:.0f}",
            f"{b.x1:.0f}",
            f"{b.y1:.0f}",
        )
        for b in result.boxes
    ]


def threshold_problem(name: str, text: str) -> str | None:
    """Why ``text`` is not a usable threshold (0 to 1), or None."""
    try:
        value = float(text)
    except ValueError:
        return f"{name}: a number between 0 and 1"
    if not 0.0 <= value <= 1.0:
        return f"{name} must be between 0 and 1"
    return None


def image_paths(text: str) -> list[str]:
    """The paths typed in the images field: separated by spaces, quoted like a shell."""
    try:
        return shlex.split(text)
    except ValueError:  # an unclosed quote: take the text as one path
        return [text.strip()] if text.strip() else []


def loaded_text(model: PredictableModel, ready: RunnerReady) -> str:
    return (
        f"model {model.id} loaded on {ready.device} in {ready.startup_ms / 1000:.1f} s; "
        f"classes: {', '.join(ready.classes[k] for k in sorted(ready.classes))}"
    )


def progress_text(done: int, total: int, failed: int) -> str:
    tail = f", {failed} failed" if failed else ""
    return f"{done}/{total} images{tail}"


def detail_title(result: ImageResult) -> str:
    name = Path(result.image).name
    if not result.ok:
        return f"{name}: {result.error}"
    return f"{name} · {result.width}x{result.height} · {len(result.boxes)} boxes"
