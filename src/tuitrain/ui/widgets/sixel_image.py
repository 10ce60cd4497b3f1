"""An image drawn as sixels (DEC's bitmap escape, in WezTerm, foot, Konsole, iTerm2...).

Sixel pixels cover cells rather than live in them, and any text written over them
erases them. So the renderable yields blank cells, and the escape rides as a zero-width
control segment at the end of its last line: by then the blank lines are written, the
cursor is moved back up to the image's corner, the sixels are drawn, and the cursor is
restored (DECSC/DECRC) for whatever follows on the line. The image is cut to whole
cells and to a multiple of six rows of pixels, so it never scrolls the screen.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from PIL import Image
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment

from tuitrain.ui.widgets.kitty_image import ZERO_WIDTH, fit_cells

SIXEL_START, SIXEL_END = "\x1bP0;1;0q", "\x1b\\"
COLOURS = 255
_TO_SIXEL = bytes(63 + min(b, 63) for b in range(256))
_RUNS = re.compile(r"(.)\1{3,}")


def _run_length(match: re.Match[str]) -> str:
    return f"!{len(match.group(0))}{match.group(1)}"


def encode_sixel(image: Image.Image) -> str:
    """The DCS sixel escape of ``image`` (RGB), at most 255 colours."""
    width, height = image.size
    paletted = image.convert("RGB").quantize(COLOURS)
    palette = paletted.getpalette() or []
    indices = paletted.tobytes()
    used = sorted(set(indices))
    parts = [SIXEL_START, f'"1;1;{width};{height}']
    for index in used:
        r, g, b = palette[3 * index : 3 * index + 3]
        parts.append(f"#{index};2;{r * 100 // 255};{g * 100 // 255};{b * 100 // 255}")
    for top in range(0, height, 6):
        masks: dict[int, bytearray] = {}
        for bit, y in enumerate(range(top, min(top + 6, height))):
            row = indices[y * width : (y + 1) * width]
            for x, index in enumerate(row):
                mask = masks.get(index)
                if mask is None:
                    mask = masks[index] = bytearray(width)
                mask[x] |= 1 << bit
        bands = [
            f"#{index}" + _RUNS.sub(_run_length, bytes(mask).translate(_TO_SIXEL).decode("ascii"))
            for index, mask in masks.items()
        ]
        parts.append("$".join(bands) + "-")
    parts.append(SIXEL_END)
    return "".join(parts)


class SixelImage:
    """A Rich renderable: ``image`` as sixels over blank cells, centred in ``columns``.

    ``encode`` turns the resized image into the escape (the widget passes a cached one).
    """

    def __init__(
        self,
        image: Image.Image,
        cells: tuple[int, int],
        cell_pixels: tuple[int, int],
        encode: Callable[[Image.Image], str] = encode_sixel,
    ) -> None:
        self.image, self.cells, self.cell_pixels, self.encode = image, cells, cell_pixels, encode

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width, height = fit_cells(self.image.size, self.cells, self.cell_pixels)
        if not width:
            return
        cell_w, cell_h = self.cell_pixels
        pixels_h = max(6, height * cell_h // 6 * 6)
        small = self.image.resize((width * cell_w, pixels_h), Image.Resampling.BILINEAR)
        pad = " " * ((self.cells[0] - width) // 2)
        for _ in range(height - 1):
            yield Segment(pad + " " * width)
            yield Segment.line()
        up = f"\x1b[{height - 1}A" if height > 1 else ""
        escape = f"\x1b7{up}\x1b[{width}D{self.encode(small)}\x1b8"
        yield Segment(pad + " " * width)
        yield Segment(escape, None, ZERO_WIDTH)
        yield Segment.line()
