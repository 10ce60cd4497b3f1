"""Is this file an image we can train on? Decided by content, never by extension.

Magic bytes say what the file claims to be; Pillow then verifies the structure and
decodes every pixel, which is what finds truncated and corrupt files.
"""

from __future__ import annotations

import hashlib
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError

from tuitrain.datasets.errors import MediaProblem

DEFAULT_MAX_BYTES = 50 * 1024 * 1024

# The formats Ultralytics and torchvision both read, by the extension we store them with.
EXTENSIONS = {"jpeg": ".jpg", "png": ".png", "bmp": ".bmp", "webp": ".webp", "tiff": ".tif"}
PILLOW_FORMATS = {"jpeg": "JPEG", "png": "PNG", "bmp": "BMP", "webp": "WEBP", "tiff": "TIFF"}
# Recognised but refused, so the message can say what the file is.
UNSUPPORTED = {"gif": "GIF", "pdf": "PDF", "zip": "ZIP archive", "text": "text"}


class ImageProblem(MediaProblem):
    """Why a file is not taken; the message is one line for the import report."""


@dataclass(frozen=True, slots=True)
class ImageInfo:
    format: str  # a key of EXTENSIONS
    width: int
    height: int
    size_bytes: int
    sha256: str

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]

    def row_fields(self) -> dict[str, Any]:
        return {"width": self.width, "height": self.height}


def sniff_format(head: bytes) -> str | None:
    """The format the first bytes announce: a key of EXTENSIONS or UNSUPPORTED, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"BM") and len(head) >= 26:
        return "bmp"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head and _looks_like_text(head):
        return "text"
    return None


def _looks_like_text(head: bytes) -> bool:
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in head


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def inspect_image(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> ImageInfo:
    """Check one file completely; raise :class:`ImageProblem` saying why it is refused."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ImageProblem(f"cannot read: {exc.strerror or exc}") from exc
    if size == 0:
        raise ImageProblem("empty file (0 bytes)")
    if size > max_bytes:
        raise ImageProblem(f"too large: {_mib(size)} > limit {_mib(max_bytes)}")
    try:
        with path.open("rb") as f:
            head = f.read(32)
    except OSError as exc:
        raise ImageProblem(f"cannot read: {exc.strerror or exc}") from exc
    kind = sniff_format(head)
    if kind is None:
        raise ImageProblem("not an image: unknown content")
    if kind in UNSUPPORTED:
        raise ImageProblem(f"not a supported image: content is {UNSUPPORTED[kind]}")
    width, height = _decode(path, kind)
    return ImageInfo(kind, width, height, size, file_sha256(path))


def _decode(path: Path, kind: str) -> tuple[int, int]:
    label = PILLOW_FORMATS[kind]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                if img.format != label:
                    raise ImageProblem(f"corrupt {label}: Pillow reads it as {img.format}")
                img.verify()
            with Image.open(path) as img:
                img.load()  # decodes every pixel: finds truncated files verify() misses
                width, height = img.size
    except ImageProblem:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageProblem(f"refused: {exc}".splitlines()[0]) from exc
    except UnidentifiedImageError as exc:
        raise ImageProblem(f"corrupt {label}: Pillow cannot identify it") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "truncated" in message.lower():
            raise ImageProblem(f"truncated {label}: {message}") from exc
        raise ImageProblem(f"corrupt {label}: {message}") from exc
    if width <= 0 or height <= 0:
        raise ImageProblem(f"corrupt {label}: size {width}x{height}")
    return width, height


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):.1f} MiB"
