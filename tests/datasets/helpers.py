"""Real files for dataset tests, made with Pillow and the standard library."""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

from PIL import Image

from tuitrain.datasets.service import DatasetService


def image_bytes(seed: int, size: tuple[int, int] = (32, 24), fmt: str = "PNG") -> bytes:
    """A distinct image per seed (distinct content, so distinct hashes)."""
    img = Image.new("RGB", size, ((seed * 37) % 256, (seed * 91) % 256, (seed // 256) % 256))
    img.putpixel((0, 0), (seed % 256, (seed >> 8) % 256, 7))
    out = io.BytesIO()
    img.save(out, format=fmt, **({"quality": 95} if fmt == "JPEG" else {}))
    return out.getvalue()


def write_image(path: Path, seed: int, size: tuple[int, int] = (32, 24), fmt: str = "PNG") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(image_bytes(seed, size, fmt))
    return path


def truncated_jpeg(path: Path) -> Path:
    """A real JPEG cut in half: the header parses, the pixels do not all decode."""
    data = image_bytes(4242, (64, 64), "JPEG")
    path.write_bytes(data[: len(data) // 2])
    return path


def write_wav(path: Path, seconds: float = 0.5, rate: int = 8000, channels: int = 1) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    frames = int(seconds * rate)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(
            b"".join(struct.pack("<h", (i * 97) % 3000) * channels for i in range(frames))
        )
    return path


def open_service(home: Path) -> DatasetService:
    return DatasetService(home)
