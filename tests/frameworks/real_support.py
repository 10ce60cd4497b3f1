"""Shared by the real-training tests: the training environments, tiny generated data,
running a recipe through the manager and reading back what the framework wrote.

The environments come from ``TUITRAIN_YOLO_PYTHON`` (YOLO and DETR) and
``TUITRAIN_RAVE_PYTHON`` (``scripts/test`` exports both, building them if needed).
Without one, a test is skipped, except under CI (``CI=true``), where it fails: CI must
train for real.
"""

from __future__ import annotations

import asyncio
import csv
import json
import math
import os
import random
import struct
import subprocess
import sys
import time
import wave
from pathlib import Path
from typing import Any

import pytest

from tuitrain.runs.manager import TrainingManager
from tuitrain.runs.states import RunStatus
from tuitrain.store.models import Experiment

REPO = Path(__file__).resolve().parents[2]
RUN_TIMEOUT_S = 900.0
# A YOLO model trained from its YAML on CPU, as small and short as it gets (~15 s).
TINY_YOLO_PARAMS: dict[str, object] = {
    "model": "yolo11n.yaml",
    "pretrained": False,
    "epochs": 2,
    "imgsz": 64,
    "batch": 4,
    "workers": 0,
    "device": "cpu",
}


def training_python(variable: str) -> str:
    """The interpreter of a training environment, or skip (fail under CI)."""
    path = os.environ.get(variable, "")
    if path and os.access(path, os.X_OK):
        return path
    why = f"{variable} is not set to a training environment's python (scripts/test sets it)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must run the real trainings: {why}")
    pytest.skip(why)


def write_environments(home: Path, **pythons: str) -> None:
    """``config.toml`` naming the environment of each framework given."""
    home.mkdir(parents=True, exist_ok=True)
    lines = ["[hosts.local.environments]"] + [f'{k} = "{v}"' for k, v in pythons.items()]
    (home / "config.toml").write_text("\n".join(lines) + "\n")


async def train(
    manager: TrainingManager, framework: str, params: dict[str, Any], **extra: Any
) -> tuple[Experiment, float]:
    """Start a recipe run (no hand-written command) and wait for its end."""
    started = time.monotonic()
    config = {"name": f"real-{framework}", "framework": framework, "params": params, **extra}
    run_id = await manager.start_training(config)
    try:
        exp = await asyncio.wait_for(manager.wait(run_id), RUN_TIMEOUT_S)
    except TimeoutError:
        await manager.stop_training(run_id)
        raise
    return exp, time.monotonic() - started


def output_of(exp: Experiment) -> str:
    return (Path(exp.run_dir) / "output.log").read_text(errors="replace")


def in_env(python: str, code: str, *args: str, env: dict[str, str] | None = None) -> str:
    """Run ``code`` in a training environment; its stdout (fails with its stderr)."""
    proc = subprocess.run(
        [python, "-c", code, *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def csv_rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as fh:
        return [{k.strip(): v.strip() for k, v in row.items()} for row in csv.DictReader(fh)]


def close(a: float, b: float, rel: float = 1e-5) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=1e-9)


# -- tiny data ---------------------------------------------------------------------------
def tiny_yolo_dataset(dest: Path) -> Path:
    """``scripts/tiny_yolo_dataset.py``: 16 train and 8 val 64px images; its data.yaml."""
    script = REPO / "scripts" / "tiny_yolo_dataset.py"
    out = subprocess.run(
        [sys.executable, str(script), str(dest)], capture_output=True, text=True, check=True
    )
    return Path(out.stdout.strip())


def tiny_coco_dataset(dest: Path, train: int = 8, valid: int = 4, size: int = 64) -> Path:
    """A Roboflow-style COCO folder (``train/``, ``valid/``, each with
    ``_annotations.coco.json``; category 0 groups the two classes, as Roboflow writes)."""
    from PIL import Image, ImageDraw

    rng = random.Random(0)
    colours = {1: (220, 30, 30), 2: (30, 60, 220)}
    for split, count in (("train", train), ("valid", valid)):
        folder = dest / split
        folder.mkdir(parents=True)
        images, annotations = [], []
        for i in range(count):
            img = Image.new("RGB", (size, size), (128, 128, 128))
            draw = ImageDraw.Draw(img)
            for _ in range(rng.randint(1, 2)):
                cid = rng.choice([1, 2])
                w, h = rng.randint(12, 32), rng.randint(12, 32)
                x, y = rng.randint(0, size - w), rng.randint(0, size - h)
                draw.rectangle((x, y, x + w, y + h), fill=colours[cid])
                annotations.append(
                    {
                        "id": len(annotations) + 1,
                        "image_id": i,
                        "category_id": cid,
                        "bbox": [x, y, w, h],
                        "area": w * h,
                        "iscrowd": 0,
                    }
                )
            name = f"{split}_{i:03d}.jpg"
            img.save(folder / name)
            images.append({"id": i, "file_name": name, "width": size, "height": size})
        categories = [
            {"id": 0, "name": "shapes", "supercategory": "none"},
            {"id": 1, "name": "red", "supercategory": "shapes"},
            {"id": 2, "name": "blue", "supercategory": "shapes"},
        ]
        doc = {"images": images, "annotations": annotations, "categories": categories}
        (folder / "_annotations.coco.json").write_text(json.dumps(doc))
    return dest


def tiny_audio_folder(dest: Path, files: int = 4, seconds: float = 6.0) -> Path:
    """Mono 44.1 kHz WAVs: a tone plus a little noise each."""
    dest.mkdir(parents=True)
    rate = 44100
    rng = random.Random(0)
    for i in range(files):
        freq = 110.0 * (i + 1)
        samples = (
            int(12000 * math.sin(2 * math.pi * freq * t / rate)) + rng.randint(-500, 500)
            for t in range(int(rate * seconds))
        )
        with wave.open(str(dest / f"tone{i}.wav"), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(rate)
            out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    return dest


def assert_completed(exp: Experiment) -> None:
    assert exp.status == RunStatus.COMPLETED, (
        exp.status,
        exp.error_summary,
        output_of(exp)[-3000:],
    )
    assert exp.exit_code == 0
