"""Many images through one :class:`~tuitrain.inference.predictor.Predictor`, in order,
each failure kept to its own image; progress and results reported as they come."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tuitrain.inference.predictor import Predictor
from tuitrain.inference.results import ImageResult, failed

OnResult = Callable[[int, int, ImageResult], None]  # (done, total, result)


@dataclass(frozen=True, slots=True)
class PredictOptions:
    conf: float = 0.25
    iou: float = 0.7
    imgsz: int | None = None


def check_threshold(name: str, value: float) -> float:
    """``value`` when it is a usable confidence or IoU threshold, else ValueError."""
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {value:g}")
    return value


def predict_images(
    predictor: Predictor,
    images: Sequence[tuple[str, str | None]],
    options: PredictOptions,
    on_result: OnResult | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> list[ImageResult]:
    """A result per image of ``images`` (``(path, error)`` as ``collect_images`` gives).
    A runner that cannot answer (:class:`PredictorError`) ends the batch: it is raised
    after the results so far were reported."""
    results: list[ImageResult] = []
    for path, error in images:
        if cancelled():
            break
        if error is not None:
            result = failed(path, error)
        else:
            result = predictor.predict(path, options.conf, options.iou, options.imgsz)
        results.append(result)
        if on_result is not None:
            on_result(len(results), len(images), result)
    return results
