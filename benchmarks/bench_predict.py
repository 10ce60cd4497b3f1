"""Inference benchmark: what a kept-loaded runner buys.

Trains a tiny YOLO model for real (2 epochs, imgsz 64, in its own temporary
TUITRAIN_HOME), then runs ``tuitrain predict --json`` on N images in one session and
prints:

- start-up (environment, imports, weights) and the first request's wall time;
- the warm requests' median wall time, and the model's own forward time beside it;
- ratios: first / warm (goal >= 5, the issue's "second request at least 5x faster"),
  and warm wall / forward (the cost of the JSON-lines protocol; 1.0 is free).

Usage: TUITRAIN_YOLO_PYTHON=/path/to/python python benchmarks/bench_predict.py [--images N]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def tuitrain(home: Path, *args: str) -> str:
    env = {**os.environ, "TUITRAIN_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-m", "tuitrain", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--images", type=int, default=20)
    args = parser.parse_args()
    python = os.environ.get("TUITRAIN_YOLO_PYTHON")
    if not python:
        sys.exit("set TUITRAIN_YOLO_PYTHON to the YOLO environment's python")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        home = root / "home"
        home.mkdir()
        (home / "config.toml").write_text(f'[hosts.local.environments]\nyolo = "{python}"\n')
        data = subprocess.run(
            [sys.executable, str(REPO / "scripts" / "tiny_yolo_dataset.py"), str(root / "d")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        sets = ["epochs=2", "imgsz=64", "model=yolo11n.yaml", "pretrained=false"]
        run_id = tuitrain(
            home,
            "run",
            "--name",
            "bench",
            "--framework",
            "yolo",
            "--dataset",
            data,
            *[x for s in sets for x in ("--set", s)],
        ).strip()
        tuitrain(home, "wait", run_id)
        models = json.loads(tuitrain(home, "models", run_id, "--json"))
        model = next(m for m in models if m["name"] == "best.pt")
        images = sorted((root / "d" / "images").rglob("*.png"))
        images = (images * (args.images // len(images) + 1))[: args.images]
        doc = json.loads(tuitrain(home, "predict", str(model["id"]), *map(str, images), "--json"))
    answers = [a for a in doc["images"] if a["ok"]]
    first, warm = answers[0], answers[1:]
    warm_wall = statistics.median(a["wall_ms"] for a in warm)
    warm_forward = statistics.median(a["inference_ms"] for a in warm)
    print(f"images answered          {len(answers)}/{len(doc['images'])}")
    print(f"start-up                 {doc['startup_ms']:8.1f} ms")
    print(f"first request (wall)     {first['wall_ms']:8.1f} ms")
    print(f"warm requests (median)   {warm_wall:8.1f} ms wall, {warm_forward:.1f} ms forward")
    print(f"first / warm             {first['wall_ms'] / warm_wall:8.1f}x   (goal >= 5)")
    print(f"warm wall / forward      {warm_wall / warm_forward:8.2f}    (protocol overhead)")


if __name__ == "__main__":
    main()
