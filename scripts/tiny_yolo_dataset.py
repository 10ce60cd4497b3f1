"""Write a tiny YOLO detection dataset (coloured boxes on noise) for demos and tests.

Usage: python scripts/tiny_yolo_dataset.py DEST [--train 16] [--val 8] [--size 64]
Needs only Pillow. Classes: red, blue. Nothing is downloaded.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

from PIL import Image, ImageDraw

CLASSES = ("red", "blue")
COLOURS = ((220, 30, 30), (30, 60, 220))


def write_split(root: Path, split: str, count: int, size: int, rng: random.Random) -> None:
    images = root / "images" / split
    labels = root / "labels" / split
    images.mkdir(parents=True, exist_ok=True)
    labels.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        img = Image.new("RGB", (size, size), tuple(rng.randrange(60, 200) for _ in range(3)))
        draw = ImageDraw.Draw(img)
        lines = []
        for _ in range(rng.randint(1, 3)):
            cls = rng.randrange(len(CLASSES))
            w, h = rng.randint(size // 6, size // 2), rng.randint(size // 6, size // 2)
            x0, y0 = rng.randint(0, size - w), rng.randint(0, size - h)
            draw.rectangle((x0, y0, x0 + w, y0 + h), fill=COLOURS[cls])
            lines.append(f"{cls} {(x0 + w / 2) / size:.6f} {(y0 + h / 2) / size:.6f} {w / size:.6f} {h / size:.6f}")
        img.save(images / f"{split}_{i:03d}.png")
        (labels / f"{split}_{i:03d}.txt").write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("dest", type=Path)
    ap.add_argument("--train", type=int, default=16)
    ap.add_argument("--val", type=int, default=8)
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    root = args.dest.resolve()
    write_split(root, "train", args.train, args.size, rng)
    write_split(root, "val", args.val, args.size, rng)
    names = "\n".join(f"  {i}: {n}" for i, n in enumerate(CLASSES))
    (root / "data.yaml").write_text(f"path: {root}\ntrain: images/train\nval: images/val\nnames:\n{names}\n")
    print(root / "data.yaml")


if __name__ == "__main__":
    main()
