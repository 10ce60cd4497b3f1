"""What one inference request gives back: boxes in pixels, or why the image failed."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Box:
    """A detection in pixels of the original image (``x0, y0`` top left)."""

    class_id: int
    label: str
    confidence: float
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True, slots=True)
class ImageResult:
    """The answer for one image: ``ok`` with boxes (best first), or ``error``.

    ``inference_ms`` is the model's own forward pass in the runner; ``wall_ms`` the
    whole request as the caller saw it (sending, decoding, pre- and post-processing).
    ``annotated`` is the image drawn with its boxes, when one was asked for.
    """

    image: str
    ok: bool
    boxes: tuple[Box, ...] = ()
    width: int = 0
    height: int = 0
    inference_ms: float = 0.0
    wall_ms: float = 0.0
    error: str = ""
    annotated: str | None = None

    def to_json(self) -> dict[str, Any]:
        if not self.ok:
            return {"image": self.image, "ok": False, "error": self.error}
        doc = asdict(self)
        del doc["error"]
        doc["boxes"] = [asdict(b) for b in self.boxes]
        return doc


@dataclass(frozen=True, slots=True)
class RunnerReady:
    """The runner's first line: the model is loaded."""

    framework: str
    classes: dict[int, str] = field(default_factory=dict)
    device: str = ""
    load_ms: float = 0.0  # loading the model, inside the runner
    startup_ms: float = 0.0  # from starting the process to this line


def failed(image: str, error: str) -> ImageResult:
    return ImageResult(image=image, ok=False, error=error)


def result_from_answer(doc: dict[str, Any], wall_ms: float) -> ImageResult:
    """An answer of the runner's protocol (see ``runners/predict.py``)."""
    image = str(doc.get("image") or "")
    if not doc.get("ok"):
        return failed(image, str(doc.get("error") or "the runner gave no reason"))
    boxes = tuple(
        Box(
            class_id=int(b["class_id"]),
            label=str(b["label"]),
            confidence=float(b["confidence"]),
            x0=float(b["x0"]),
            y0=float(b["y0"]),
            x1=float(b["x1"]),
            y1=float(b["y1"]),
        )
        for b in doc.get("boxes") or []
    )
    return ImageResult(
        image=image,
        ok=True,
        boxes=boxes,
        width=int(doc["width"]),
        height=int(doc["height"]),
        inference_ms=float(doc.get("inference_ms") or 0.0),
        wall_ms=round(wall_ms, 3),
    )
