"""Object detection with a trained model, kept loaded between requests.

Runs inside the model's framework environment (Ultralytics, or torch + transformers for
DETR; tuitrain is not installed there), started once per model::

    python /path/to/tuitrain/runners/predict.py --framework yolo|detr --model PATH [--device D]

It speaks JSON lines: the first line on stdout is ``{"event": "ready", "framework",
"classes": {"0": "red", ...}, "device", "load_ms"}`` (or ``{"event": "fatal", "error"}``
and exit status 1); then one answer per request read from stdin::

    {"id": 1, "image": "/abs/a.jpg", "conf": 0.25, "iou": 0.7, "imgsz": null}
    {"id": 1, "ok": true, "image": "/abs/a.jpg", "width": 640, "height": 480,
     "inference_ms": 6.2, "runner_ms": 9.1,
     "boxes": [{"class_id": 0, "label": "red", "confidence": 0.91,
                "x0": 10.0, "y0": 12.5, "x1": 80.0, "y1": 96.0}]}
    {"id": 2, "ok": false, "image": "/abs/b.txt", "error": "not an image: ..."}

Boxes are in pixels of the original image, best first. ``inference_ms`` is the model's
forward pass; ``runner_ms`` everything the runner did for the request. A bad request or
image gets an ``ok: false`` answer and the runner goes on; end of input ends it.

Only protocol lines reach the real stdout: file descriptor 1 is pointed at stderr
before any library is imported (Ultralytics prints to stdout, C extensions too), and
the protocol is written to a private copy of the original descriptor.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import IO, Any


def protocol_stream() -> IO[str]:
    """The original stdout for protocol lines; everything else printed goes to stderr."""
    sys.stdout.flush()
    out = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


def send(out: IO[str], doc: dict[str, Any]) -> None:
    out.write(json.dumps(doc) + "\n")
    out.flush()


class BadRequest(ValueError):
    """A request that cannot be answered; its message is the whole answer."""


def one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    if isinstance(exc, BadRequest) and text:
        return text[0]
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def open_image(path: str) -> Any:
    """The image in RGB (PIL), or BadRequest saying why it cannot be used."""
    from PIL import Image, UnidentifiedImageError

    if not os.path.exists(path):
        raise BadRequest(f"no such file: {path}")
    if os.path.isdir(path):
        raise BadRequest(f"a folder, not an image: {path}")
    try:
        with Image.open(path) as img:
            return img.convert("RGB")
    except (UnidentifiedImageError, ImportError) as exc:
        # ImportError: Ultralytics hooks Pillow to try a HEIF plugin on unknown files
        raise BadRequest(f"not an image: {path}") from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise BadRequest(f"unreadable image: {path} ({one_line(exc)})") from exc


class YoloModel:
    framework = "yolo"

    def __init__(self, path: str, device: str | None) -> None:
        from ultralytics import YOLO  # type: ignore[import-not-found]

        self.model = YOLO(path)
        self.device = device
        self.classes = {int(k): str(v) for k, v in self.model.names.items()}

    def describe_device(self) -> str:
        import torch  # type: ignore[import-not-found,unused-ignore]

        return self.device or ("cuda:0" if torch.cuda.is_available() else "cpu")

    def predict(self, image: Any, conf: float, iou: float, imgsz: int | None) -> tuple[Any, float]:
        import numpy as np  # type: ignore[import-not-found,unused-ignore]

        options: dict[str, Any] = {"conf": conf, "iou": iou, "verbose": False}
        if self.device:
            options["device"] = self.device
        if imgsz:
            options["imgsz"] = imgsz
        # Ultralytics takes numpy images in BGR order, as OpenCV reads them.
        result = self.model.predict(np.asarray(image)[:, :, ::-1], **options)[0]
        boxes = result.boxes
        found = zip(boxes.xyxy.tolist(), boxes.cls.tolist(), boxes.conf.tolist(), strict=True)
        rows = [(int(c), float(s), xyxy) for xyxy, c, s in found]
        return rows, float(result.speed.get("inference") or 0.0)


class DetrModel:
    """The DETR runner's ``final_model.pt``: its config, weights, classes and size."""

    framework = "detr"

    def __init__(self, path: str, device: str | None) -> None:
        import torch  # type: ignore[import-not-found,unused-ignore]
        from transformers import (  # type: ignore[import-not-found]
            DetrConfig,
            DetrForObjectDetection,
            DetrImageProcessor,
        )

        saved = torch.load(path, map_location="cpu", weights_only=False)
        if not isinstance(saved, dict) or "model_state_dict" not in saved:
            raise BadRequest(f"{path} is not a model saved by tuitrain's DETR runner")
        config = DetrConfig.from_dict(saved["config"])
        config.use_pretrained_backbone = False  # the weights are all in the state dict
        self.model = DetrForObjectDetection(config)
        self.model.load_state_dict(saved["model_state_dict"])
        self.device = device or ("cuda:0" if torch.cuda.is_available() else "cpu")
        self.model.to(self.device).eval()
        size = int(saved.get("image_size") or 800)
        longest = max(size, round(size * 1333 / 800))
        self.processor = DetrImageProcessor(size={"shortest_edge": size, "longest_edge": longest})
        self.classes = {int(k): str(v) for k, v in saved["id2label"].items()}

    def describe_device(self) -> str:
        return str(self.device)

    def predict(self, image: Any, conf: float, iou: float, imgsz: int | None) -> tuple[Any, float]:
        import torch
        from torchvision.ops import batched_nms  # type: ignore[import-not-found]

        inputs = self.processor(images=image, return_tensors="pt").to(self.device)
        started = time.perf_counter()
        with torch.no_grad():
            outputs = self.model(**inputs)
        inference_ms = (time.perf_counter() - started) * 1000
        target = torch.tensor([[image.height, image.width]])
        found = self.processor.post_process_object_detection(
            outputs, threshold=conf, target_sizes=target
        )[0]
        boxes, scores, labels = found["boxes"].cpu(), found["scores"].cpu(), found["labels"].cpu()
        if iou < 1.0 and len(boxes):  # DETR needs no NMS; the IoU asked for still applies
            keep = batched_nms(boxes, scores, labels, iou)
            boxes, scores, labels = boxes[keep], scores[keep], labels[keep]
        rows = [
            (
                int(c),
                float(s),
                [min(max(v, 0.0), lim) for v, lim in zip(b, _limits(image), strict=True)],
            )
            for b, s, c in zip(boxes.tolist(), scores.tolist(), labels.tolist(), strict=True)
        ]
        return rows, inference_ms


def _limits(image: Any) -> tuple[float, float, float, float]:
    return (image.width, image.height, image.width, image.height)


def answer(model: Any, request: dict[str, Any]) -> dict[str, Any]:
    started = time.perf_counter()
    path = request.get("image")
    if not isinstance(path, str) or not path:
        raise BadRequest("the request has no image path")
    conf = float(request.get("conf", 0.25))
    iou = float(request.get("iou", 0.7))
    if not (0.0 <= conf <= 1.0 and 0.0 <= iou <= 1.0):
        raise BadRequest(f"conf and iou must be between 0 and 1, got {conf} and {iou}")
    imgsz = request.get("imgsz")
    image = open_image(path)
    rows, inference_ms = model.predict(image, conf, iou, int(imgsz) if imgsz else None)
    rows.sort(key=lambda row: -row[1])
    boxes = [
        {
            "class_id": cls,
            "label": model.classes.get(cls, str(cls)),
            "confidence": round(score, 6),
            "x0": round(xyxy[0], 2),
            "y0": round(xyxy[1], 2),
            "x1": round(xyxy[2], 2),
            "y1": round(xyxy[3], 2),
        }
        for cls, score, xyxy in rows
    ]
    return {
        "ok": True,
        "image": path,
        "width": image.width,
        "height": image.height,
        "inference_ms": round(inference_ms, 3),
        "runner_ms": round((time.perf_counter() - started) * 1000, 3),
        "boxes": boxes,
    }


def serve(model: Any, requests: IO[str], out: IO[str]) -> None:
    for line in requests:
        if not line.strip():
            continue
        request: dict[str, Any] = {}
        try:
            request = json.loads(line)
            if not isinstance(request, dict):
                raise BadRequest("a request is a JSON object")
            reply = answer(model, request)
        except Exception as exc:  # one bad request never ends the session
            reply = {"ok": False, "image": request.get("image"), "error": one_line(exc)}
            print(f"request failed: {reply['error']}", file=sys.stderr, flush=True)
        send(out, {"id": request.get("id"), **reply})


def main(argv: list[str]) -> int:
    out = protocol_stream()
    ap = argparse.ArgumentParser(prog="predict.py", description="tuitrain's inference runner")
    ap.add_argument("--framework", required=True, choices=("yolo", "detr"))
    ap.add_argument("--model", required=True)
    ap.add_argument("--device", default="", help="cpu, cuda:0, ... (default: a GPU if any)")
    args = ap.parse_args(argv)
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    started = time.perf_counter()
    try:
        if not os.path.isfile(args.model):
            raise BadRequest(f"no such model file: {args.model}")
        kind = YoloModel if args.framework == "yolo" else DetrModel
        model = kind(args.model, args.device or None)
        device = model.describe_device()
    except Exception as exc:
        send(out, {"event": "fatal", "error": f"cannot load {args.model}: {one_line(exc)}"})
        return 1
    send(
        out,
        {
            "event": "ready",
            "framework": model.framework,
            "classes": {str(k): v for k, v in model.classes.items()},
            "device": device,
            "load_ms": round((time.perf_counter() - started) * 1000, 3),
        },
    )
    serve(model, sys.stdin, out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
