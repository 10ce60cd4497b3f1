"""``tuitrain predict MODEL IMAGE...``: a trained model tried on images, headless.

The model (an id from ``tuitrain models`` or a weights file; one trained on an SSH host
is fetched once into ``$TUITRAIN_HOME/models``, with progress on stderr) is loaded once in its
framework's environment and answers image after image. A readable table by default,
one JSON document with ``--json`` (its shape is in the README); per image the wall time
of the request and the model's own ``inference_ms``. A bad path or a non-image is an
error for that image only; the exit status is 0 when every image was answered, 1 when
some were not, 2 when nothing could run (bad model, bad option).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TextIO

from tuitrain.inference import (
    ImageResult,
    PredictableModel,
    PredictOptions,
    Predictor,
    PredictorError,
    RunnerReady,
    collect_images,
    find_model,
    predict_images,
)
from tuitrain.inference.annotate import annotate, annotated_name
from tuitrain.inference.batch import check_threshold
from tuitrain.inference.fetching import fetch_weights
from tuitrain.paths import database_path
from tuitrain.store.db import Database
from tuitrain.store.experiments import ExperimentStore

PROGRESS_FROM = 5  # images: fewer give no progress line


def add_predict_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "predict", help="detect objects in images with a trained model (YOLO or DETR)"
    )
    parser.add_argument("model", help="a model id (tuitrain models) or a weights file")
    parser.add_argument("images", nargs="+", metavar="IMAGE", help="image files or folders")
    parser.add_argument("--conf", type=float, default=0.25, help="confidence threshold")
    parser.add_argument("--iou", type=float, default=0.7, help="IoU threshold of the NMS")
    parser.add_argument("--imgsz", type=int, default=None, help="inference size (default: trained)")
    parser.add_argument(
        "--framework",
        choices=("yolo", "detr"),
        default=None,
        help="for a weights file tuitrain does not know (default: yolo)",
    )
    parser.add_argument("--device", default="", help="cpu, cuda:0... (default: a GPU if any)")
    parser.add_argument("--save", default=None, metavar="DIR", help="write annotated images here")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")


def run_predict(args: argparse.Namespace) -> int:
    options = PredictOptions(
        conf=check_threshold("--conf", args.conf),
        iou=check_threshold("--iou", args.iou),
        imgsz=args.imgsz,
    )
    if args.imgsz is not None and args.imgsz <= 0:
        raise ValueError(f"--imgsz must be positive, got {args.imgsz}")
    db = Database(database_path())
    try:
        model = find_model(ExperimentStore(db), args.model, args.framework)
    finally:
        db.dispose()
    model = fetch_weights(model, _fetch_progress(sys.stderr, model.name))
    images = collect_images(args.images)
    progress = _Progress(sys.stderr, len(images), quiet=len(images) < PROGRESS_FROM)
    try:
        with Predictor(model, device=args.device) as predictor:
            ready = predictor.start()
            if not args.json:
                print(_header(model, ready, options))
            results = _predict_all(predictor, images, options, args, progress)
    except PredictorError as exc:
        raise ValueError(str(exc)) from exc
    finally:
        progress.done()
    if args.json:
        print(json.dumps(_document(model, ready, options, results), indent=2))
    return 0 if all(r.ok for r in results) else 1


def _predict_all(
    predictor: Predictor,
    images: list[tuple[str, str | None]],
    options: PredictOptions,
    args: argparse.Namespace,
    progress: _Progress,
) -> list[ImageResult]:
    save = Path(args.save).expanduser() if args.save else None
    results: list[ImageResult] = []
    names: set[str] = set()

    def on_result(done: int, total: int, result: ImageResult) -> None:
        if save is not None and result.ok:
            result = _annotated(result, save / annotated_name(result.image, names))
        results.append(result)
        progress.update(done, result)
        if not args.json:
            _print_result(result)

    predict_images(predictor, images, options, on_result)
    return results


def _annotated(result: ImageResult, out: Path) -> ImageResult:
    try:
        annotate(result, out)
    except (OSError, ValueError) as exc:
        return replace(result, ok=False, error=f"no annotated image: {exc}")
    return replace(result, annotated=str(out))


def _document(
    model: PredictableModel, ready: RunnerReady, options: PredictOptions, results: list[ImageResult]
) -> dict[str, Any]:
    return {
        "model": {
            "id": model.id,
            "name": model.name,
            "framework": model.framework,
            "path": model.path,
            "classes": {str(k): v for k, v in sorted(ready.classes.items())},
        },
        "conf": options.conf,
        "iou": options.iou,
        "device": ready.device,
        "startup_ms": ready.startup_ms,
        "images": [r.to_json() for r in results],
    }


def _header(model: PredictableModel, ready: RunnerReady, options: PredictOptions) -> str:
    classes = ", ".join(ready.classes[k] for k in sorted(ready.classes))
    return (
        f"{model.title()} on {ready.device}, loaded in {ready.startup_ms / 1000:.1f} s; "
        f"conf {options.conf:g}, iou {options.iou:g}; classes: {classes}"
    )


def _print_result(result: ImageResult) -> None:
    if not result.ok:
        print(f"{result.image}: error: {result.error}")
        return
    found = len(result.boxes)
    print(
        f"{result.image}  {result.width}x{result.height}  {found} box{'es' * (found != 1)}  "
        f"inference {result.inference_ms:.1f} ms  wall {result.wall_ms:.1f} ms"
        + (f"  -> {result.annotated}" if result.annotated else "")
    )
    if result.boxes:
        print(f"  {'class':<16} {'conf':>6} {'x0':>8} {'y0':>8} {'x1':>8} {'y1':>8}")
    for b in result.boxes:
        label = f"{b.class_id} {b.label}"[:16]
        print(
            f"  {label:<16} {b.confidence:>6.3f} {b.x0:>8.1f} {b.y0:>8.1f} {b.x1:>8.1f} {b.y1:>8.1f}"
        )


def _fetch_progress(stream: TextIO, name: str) -> Callable[[int, int], None]:
    """``best.pt: fetching  40% of 5.4 MB`` on stderr, in place on a terminal."""
    shown = {"last": -1}
    tty = stream.isatty()

    def report(done: int, total: int) -> None:
        percent = 100 if total == 0 else done * 100 // total
        if percent == shown["last"] or (not tty and percent not in (0, 100)):
            return
        shown["last"] = percent
        end = "\n" if percent == 100 else ("\r" if tty else "\n")
        stream.write(f"{name}: fetching {percent:3d}% of {total / 1e6:.1f} MB{end}")
        stream.flush()

    return report


class _Progress:
    """``predict: 12/40 images, 3 failed`` on stderr, rewritten in place on a terminal."""

    def __init__(self, stream: TextIO, total: int, quiet: bool) -> None:
        self.stream = stream
        self.total = total
        self.quiet = quiet
        self.failed = 0
        self.shown = False
        self.tty = stream.isatty()

    def update(self, done: int, result: ImageResult) -> None:
        self.failed += not result.ok
        if self.quiet:
            return
        text = f"predict: {done}/{self.total} images" + (
            f", {self.failed} failed" if self.failed else ""
        )
        if self.tty:
            self.stream.write("\r" + text)
        elif done == self.total or done % max(1, self.total // 10) == 0:
            self.stream.write(text + "\n")  # a log file gets about ten lines
        self.stream.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown and self.tty:
            self.stream.write("\n")
            self.stream.flush()
        self.shown = False
