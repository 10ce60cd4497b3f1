"""An image drawn with kitty's graphics protocol and its Unicode placeholders.

The image (PNG, base64) is sent once per render in an APC escape (``ESC _G ... ESC \\``)
that creates a virtual placement of ``columns`` x ``rows`` cells; the cells themselves
are ordinary characters (U+10EEEE plus a row and a column diacritic, the image id in
the foreground colour), so Textual crops, scrolls and overlays them like text. The
escape rides as a zero-width control segment at the start of the first line.
See https://sw.kovidgoyal.net/kitty/graphics-protocol/#unicode-placeholders.
"""

from __future__ import annotations

import base64
import io
import itertools
import random
from collections.abc import Iterator

from PIL import Image
from rich.color import Color
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import ControlType, Segment
from rich.style import Style

APC_START, APC_END = "\x1b_G", "\x1b\\"
PLACEHOLDER = "\U0010eeee"
CHUNK = 4096  # the protocol's limit on base64 bytes per escape
ZERO_WIDTH = ((ControlType.CURSOR_FORWARD, 0),)  # a control segment Rich leaves alone

# Row and column numbers as combining marks, from kitty's rowcolumn-diacritics.txt.
# fmt: off
DIACRITICS = [
    chr(code)
    for code in (
        0x0305, 0x030D, 0x030E, 0x0310, 0x0312, 0x033D, 0x033E, 0x033F, 0x0346, 0x034A,
        0x034B, 0x034C, 0x0350, 0x0351, 0x0352, 0x0357, 0x035B, 0x0363, 0x0364, 0x0365,
        0x0366, 0x0367, 0x0368, 0x0369, 0x036A, 0x036B, 0x036C, 0x036D, 0x036E, 0x036F,
        0x0483, 0x0484, 0x0485, 0x0486, 0x0487, 0x0592, 0x0593, 0x0594, 0x0595, 0x0597,
        0x0598, 0x0599, 0x059C, 0x059D, 0x059E, 0x059F, 0x05A0, 0x05A1, 0x05A8, 0x05A9,
        0x05AB, 0x05AC, 0x05AF, 0x05C4, 0x0610, 0x0611, 0x0612, 0x0613, 0x0614, 0x0615,
        0x0616, 0x0617, 0x0657, 0x0658, 0x0659, 0x065A, 0x065B, 0x065D, 0x065E, 0x06D6,
        0x06D7, 0x06D8, 0x06D9, 0x06DA, 0x06DB, 0x06DC, 0x06DF, 0x06E0, 0x06E1, 0x06E2,
        0x06E4, 0x06E7, 0x06E8, 0x06EB, 0x06EC, 0x0730, 0x0732, 0x0733, 0x0735, 0x0736,
        0x073A, 0x073D, 0x073F, 0x0740, 0x0741, 0x0743, 0x0745, 0x0747, 0x0749, 0x074A,
        0x07EB, 0x07EC, 0x07ED, 0x07EE, 0x07EF, 0x07F0, 0x07F1, 0x07F3, 0x0816, 0x0817,
        0x0818, 0x0819, 0x081B, 0x081C, 0x081D, 0x081E, 0x081F, 0x0820, 0x0821, 0x0822,
        0x0823, 0x0825, 0x0826, 0x0827, 0x0829, 0x082A, 0x082B, 0x082C, 0x082D, 0x0951,
        0x0953, 0x0954, 0x0F82, 0x0F83, 0x0F86, 0x0F87, 0x135D, 0x135E, 0x135F, 0x17DD,
        0x193A, 0x1A17, 0x1A75, 0x1A76, 0x1A77, 0x1A78, 0x1A79, 0x1A7A, 0x1A7B, 0x1A7C,
        0x1B6B, 0x1B6D, 0x1B6E, 0x1B6F, 0x1B70, 0x1B71, 0x1B72, 0x1B73, 0x1CD0, 0x1CD1,
        0x1CD2, 0x1CDA, 0x1CDB, 0x1CE0, 0x1DC0, 0x1DC1, 0x1DC3, 0x1DC4, 0x1DC5, 0x1DC6,
        0x1DC7, 0x1DC8, 0x1DC9, 0x1DCB, 0x1DCC, 0x1DD1, 0x1DD2, 0x1DD3, 0x1DD4, 0x1DD5,
        0x1DD6, 0x1DD7, 0x1DD8, 0x1DD9, 0x1DDA, 0x1DDB, 0x1DDC, 0x1DDD, 0x1DDE, 0x1DDF,
        0x1DE0, 0x1DE1, 0x1DE2, 0x1DE3, 0x1DE4, 0x1DE5, 0x1DE6, 0x1DFE, 0x20D0, 0x20D1,
        0x20D4, 0x20D5, 0x20D6, 0x20D7, 0x20DB, 0x20DC, 0x20E1, 0x20E7, 0x20E9, 0x20F0,
        0x2CEF, 0x2CF0, 0x2CF1, 0x2DE0, 0x2DE1, 0x2DE2, 0x2DE3, 0x2DE4, 0x2DE5, 0x2DE6,
        0x2DE7, 0x2DE8, 0x2DE9, 0x2DEA, 0x2DEB, 0x2DEC, 0x2DED, 0x2DEE, 0x2DEF, 0x2DF0,
        0x2DF1, 0x2DF2, 0x2DF3, 0x2DF4, 0x2DF5, 0x2DF6, 0x2DF7, 0x2DF8, 0x2DF9, 0x2DFA,
        0x2DFB, 0x2DFC, 0x2DFD, 0x2DFE, 0x2DFF, 0xA66F, 0xA67C, 0xA67D, 0xA6F0, 0xA6F1,
        0xA8E0, 0xA8E1, 0xA8E2, 0xA8E3, 0xA8E4, 0xA8E5, 0xA8E6, 0xA8E7, 0xA8E8, 0xA8E9,
        0xA8EA, 0xA8EB, 0xA8EC, 0xA8ED, 0xA8EE, 0xA8EF, 0xA8F0, 0xA8F1, 0xAAB0, 0xAAB2,
        0xAAB3, 0xAAB7, 0xAAB8, 0xAABE, 0xAABF, 0xAAC1, 0xFE20, 0xFE21, 0xFE22, 0xFE23,
        0xFE24, 0xFE25, 0xFE26, 0x10A0F, 0x10A38, 0x1D185, 0x1D186, 0x1D187, 0x1D188, 0x1D189,
        0x1D1AA, 0x1D1AB, 0x1D1AC, 0x1D1AD, 0x1D242, 0x1D243, 0x1D244,
    )
]
# fmt: on

_ids = itertools.count(random.randint(1, 1 << 20))


def new_image_id() -> int:
    """An image id for one widget, kept below 2**24 so the foreground colour holds it."""
    return 1 + next(_ids) % ((1 << 24) - 1)


def fit_cells(
    image_size: tuple[int, int], cells: tuple[int, int], cell_pixels: tuple[int, int]
) -> tuple[int, int]:
    """The columns and rows that show ``image_size`` pixels inside ``cells``, aspect kept."""
    (width, height), (columns, rows), (cell_w, cell_h) = image_size, cells, cell_pixels
    if min(width, height, columns, rows, cell_w, cell_h) <= 0:
        return 0, 0
    scale = min(columns * cell_w / width, rows * cell_h / height)
    fitted_columns = max(1, min(columns, round(width * scale / cell_w)))
    fitted_rows = max(1, min(rows, round(height * scale / cell_h)))
    return fitted_columns, fitted_rows


def png_base64(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.standard_b64encode(buffer.getvalue()).decode("ascii")


def tmux_passthrough(escape: str) -> str:
    """``escape`` wrapped for tmux's ``allow-passthrough`` (its ESCs doubled)."""
    return "\x1bPtmux;" + escape.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def transmit(image_id: int, payload: str, columns: int, rows: int, *, in_tmux: bool = False) -> str:
    """Escapes that send a PNG and place it virtually over ``columns`` x ``rows`` cells
    (q=2: the terminal answers nothing, so no reply lands in Textual's input); inside
    tmux, each wrapped to pass through to the terminal."""
    chunks = [payload[i : i + CHUNK] for i in range(0, len(payload), CHUNK)] or [""]
    first = f"a=T,f=100,U=1,q=2,i={image_id},c={columns},r={rows}"
    escapes = []
    for number, chunk in enumerate(chunks):
        more = int(number < len(chunks) - 1)
        keys = f"{first},m={more}" if number == 0 else f"q=2,m={more}"
        escape = f"{APC_START}{keys};{chunk}{APC_END}"
        escapes.append(tmux_passthrough(escape) if in_tmux else escape)
    return "".join(escapes)


class KittyImage:
    """A Rich renderable: ``image`` in kitty placeholders, centred in ``columns``."""

    def __init__(
        self,
        image: Image.Image,
        payload: str,
        image_id: int,
        cells: tuple[int, int],
        cell_pixels: tuple[int, int],
        *,
        in_tmux: bool = False,
    ) -> None:
        self.image, self.payload, self.image_id = image, payload, image_id
        self.cells, self.cell_pixels, self.in_tmux = cells, cell_pixels, in_tmux

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width, height = fit_cells(self.image.size, self.cells, self.cell_pixels)
        if not width:
            return
        limit = len(DIACRITICS)
        width, height = min(width, limit), min(height, limit)
        escapes = transmit(self.image_id, self.payload, width, height, in_tmux=self.in_tmux)
        yield Segment(escapes, None, ZERO_WIDTH)
        yield from self._cells(width, height, (self.cells[0] - width) // 2)

    def _cells(self, width: int, height: int, pad: int) -> Iterator[Segment]:
        r, g, b = (self.image_id >> 16) & 255, (self.image_id >> 8) & 255, self.image_id & 255
        style = Style(color=Color.from_rgb(r, g, b))
        for row in range(height):
            if pad:
                yield Segment(" " * pad)
            marks = DIACRITICS[row]
            yield Segment(
                "".join(PLACEHOLDER + marks + DIACRITICS[column] for column in range(width)), style
            )
            yield Segment.line()
