"""The in-terminal image: which protocol each terminal gets, the escapes kitty graphics
and sixels produce for a small image, and the widget drawing each one (half-blocks
under a modal and in headless apps unless forced)."""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
from PIL import Image
from rich.console import Console
from rich.segment import Segment
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.screen import ModalScreen
from textual.widgets import Static

from tuitrain.ui.widgets.image_preview import UPPER_HALF, ImagePreview
from tuitrain.ui.widgets.image_protocols import ENV_VAR, ImageProtocol, choose_protocol
from tuitrain.ui.widgets.kitty_image import (
    APC_START,
    CHUNK,
    DIACRITICS,
    PLACEHOLDER,
    KittyImage,
    fit_cells,
    png_base64,
    transmit,
)
from tuitrain.ui.widgets.sixel_image import SIXEL_END, SIXEL_START, SixelImage, encode_sixel

HALF, KITTY, SIXEL = ImageProtocol.HALFBLOCK, ImageProtocol.KITTY, ImageProtocol.SIXEL


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, HALF),
        ({"TERM": "xterm-256color"}, HALF),
        ({"TERM": "xterm-kitty"}, KITTY),
        ({"TERM": "xterm-256color", "KITTY_WINDOW_ID": "3"}, KITTY),
        ({"TERM": "xterm-ghostty", "TERM_PROGRAM": "ghostty"}, KITTY),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "WezTerm"}, SIXEL),
        ({"TERM": "foot"}, SIXEL),
        ({"TERM": "xterm-256color", "KONSOLE_VERSION": "230804"}, SIXEL),
        ({"TERM": "xterm-256color", "TERM_PROGRAM": "iTerm.app"}, SIXEL),
        # tmux hides the terminal: half-blocks unless forced
        ({"TERM": "tmux-256color", "KITTY_WINDOW_ID": "3", "TMUX": "/tmp/t,1,0"}, HALF),
        ({"TERM": "screen-256color", "TERM_PROGRAM": "WezTerm"}, HALF),
        ({"TMUX": "/tmp/t,1,0", ENV_VAR: "kitty"}, KITTY),
        ({"TMUX": "/tmp/t,1,0", ENV_VAR: "Sixel "}, SIXEL),
        ({"KITTY_WINDOW_ID": "3", ENV_VAR: "halfblock"}, HALF),
        ({"KITTY_WINDOW_ID": "3", ENV_VAR: "auto"}, KITTY),
    ],
)
def test_protocol_from_environment(environ: dict[str, str], expected: ImageProtocol) -> None:
    assert choose_protocol(environ) == (expected, "")


def test_headless_apps_draw_half_blocks_unless_forced() -> None:
    assert choose_protocol({"KITTY_WINDOW_ID": "3"}, headless=True) == (HALF, "")
    assert choose_protocol({ENV_VAR: "sixel"}, headless=True) == (SIXEL, "")


def test_unknown_forced_protocol_warns_in_one_line_and_guesses() -> None:
    protocol, warning = choose_protocol({ENV_VAR: "iterm", "TERM": "xterm-kitty"})
    assert protocol is KITTY
    assert warning == f"{ENV_VAR}='iterm' is not one of halfblock|kitty|sixel|auto; using auto"


def red_square(size: tuple[int, int] = (4, 4)) -> Image.Image:
    return Image.new("RGB", size, (255, 0, 0))


def segments(renderable: object, width: int = 20) -> list[Segment]:
    console = Console(width=width, color_system="truecolor", force_terminal=True)
    return list(console.render(renderable, console.options))


def test_kitty_sends_the_png_then_placeholder_cells() -> None:
    image = red_square()
    out = segments(KittyImage(image, png_base64(image), 0x0A0B0C, (20, 4), (10, 20)))
    escape = out[0]
    assert escape.control and escape.text.startswith(f"{APC_START}a=T,f=100,U=1,q=2,i=658188,")
    keys, payload = escape.text[len(APC_START) : -2].split(";")
    assert keys.endswith(",c=8,r=4,m=0")  # 4x4 pixels in 10x20 cells: 8 columns, 4 rows
    assert Image.open(io.BytesIO(base64.b64decode(payload))).getpixel((1, 1)) == (255, 0, 0)
    rows = [s for s in out[1:] if s.text.startswith(PLACEHOLDER)]
    assert len(rows) == 4
    first = rows[0]
    assert first.text == "".join(PLACEHOLDER + DIACRITICS[0] + DIACRITICS[c] for c in range(8))
    assert first.style is not None and first.style.color is not None
    assert first.style.color.get_truecolor() == (0x0A, 0x0B, 0x0C)  # the image id
    assert rows[3].text.startswith(PLACEHOLDER + DIACRITICS[3] + DIACRITICS[0])


def test_kitty_payload_in_chunks_of_4096() -> None:
    escapes = transmit(7, "A" * (CHUNK * 2 + 10), 3, 2)
    parts = re.findall(r"\x1b_G([^;]*);(A*)\x1b\\", escapes)
    assert [(keys, len(data)) for keys, data in parts] == [
        ("a=T,f=100,U=1,q=2,i=7,c=3,r=2,m=1", CHUNK),
        ("q=2,m=1", CHUNK),
        ("q=2,m=0", 10),
    ]


def test_kitty_escapes_wrapped_for_tmux_passthrough() -> None:
    plain = transmit(7, "QUJD", 3, 2)
    wrapped = transmit(7, "QUJD", 3, 2, in_tmux=True)
    assert plain == "\x1b_Ga=T,f=100,U=1,q=2,i=7,c=3,r=2,m=0;QUJD\x1b\\"
    assert wrapped == "\x1bPtmux;" + plain.replace("\x1b", "\x1b\x1b") + "\x1b\\"


def test_fit_cells_keeps_the_aspect() -> None:
    assert fit_cells((400, 200), (80, 20), (10, 20)) == (80, 20)
    assert fit_cells((100, 100), (80, 20), (10, 20)) == (40, 20)
    assert fit_cells((0, 10), (80, 20), (10, 20)) == (0, 0)


def test_sixel_encoding_of_a_small_image() -> None:
    image = Image.new("RGB", (5, 7), (255, 0, 0))
    image.putpixel((0, 6), (0, 0, 255))
    escape = encode_sixel(image)
    assert escape.startswith(f'{SIXEL_START}"1;1;5;7#') and escape.endswith(SIXEL_END)
    body = escape[len(SIXEL_START) : -len(SIXEL_END)]
    palette = dict(re.findall(r"#(\d+);2;(\d+;\d+;\d+)", body))
    red = next(i for i, rgb in palette.items() if rgb == "100;0;0")
    blue = next(i for i, rgb in palette.items() if rgb == "0;0;100")
    data = re.sub(r"#\d+;2;\d+;\d+;\d+", "", body.split('"1;1;5;7', 1)[1])
    # first band: six red rows in 5 columns (run-length); second: one row, blue then red
    assert data == f"#{red}!5~-#{blue}@!4?$#{red}?!4@-"


def test_sixel_image_draws_after_its_blank_cells() -> None:
    out = segments(SixelImage(red_square((20, 40)), (10, 4), (10, 20)), width=10)
    escape = next(s for s in out if s.control)
    # 20x40 pixels in 4 rows of 10x20 cells: 4 columns x 4 rows, centred (3 cells of padding),
    # drawn after the last row from the first row's first cell, 78 pixels high (6 x 13)
    assert escape.text.startswith(f'\x1b7\x1b[3A\x1b[4D{SIXEL_START}"1;1;40;78#')
    assert escape.text.endswith(f"{SIXEL_END}\x1b8")
    text = "".join(s.text for s in out if not s.control)
    assert text == "       \n" * 4  # pad + blank image cells; the escape is last


class PreviewApp(App[None]):
    def compose(self) -> ComposeResult:
        yield ImagePreview(id="preview")


class Dialog(ModalScreen[None]):
    def compose(self) -> ComposeResult:
        yield Static("dialog")


def line_text(preview: ImagePreview, y: int) -> str:
    strips = preview.render_lines(Region(0, y, preview.size.width, 1))
    return "".join(segment.text for segment in strips[0])


async def shown(pilot_app: PreviewApp, image: Path) -> ImagePreview:
    preview = pilot_app.query_one(ImagePreview)
    preview.show(image)
    await pilot_app.workers.wait_for_complete()
    return preview


@pytest.fixture
def picture(tmp_path: Path) -> Path:
    path = tmp_path / "red square.png"
    red_square((40, 40)).save(path)
    return path


async def test_headless_preview_is_half_blocks(
    picture: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITTY_WINDOW_ID", "1")
    monkeypatch.delenv(ENV_VAR, raising=False)
    app = PreviewApp()
    async with app.run_test(size=(40, 10)) as pilot:
        preview = await shown(app, picture)
        await pilot.pause()
        assert preview.protocol is HALF
        assert UPPER_HALF in line_text(preview, 0)
        assert "\x1b" not in line_text(preview, 0)


async def test_forced_kitty_preview_sends_graphics_and_not_under_a_modal(
    picture: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, "kitty")
    app = PreviewApp()
    async with app.run_test(size=(40, 10)) as pilot:
        preview = await shown(app, picture)
        await pilot.pause()
        assert preview.protocol is KITTY
        first = line_text(preview, 0)
        assert first.startswith(f"{APC_START}a=T,f=100,U=1,q=2,i={preview._image_id},")
        assert PLACEHOLDER + DIACRITICS[0] + DIACRITICS[0] in first
        assert line_text(preview, 1).strip().startswith(PLACEHOLDER + DIACRITICS[1])
        await app.push_screen(Dialog())
        await pilot.pause()
        assert UPPER_HALF in line_text(preview, 0)
        assert "\x1b" not in line_text(preview, 0)
        app.pop_screen()
        await pilot.pause()
        assert line_text(preview, 0).startswith(APC_START)


async def test_forced_sixel_preview_draws_on_its_last_line(
    picture: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, "sixel")
    app = PreviewApp()
    async with app.run_test(size=(40, 10)) as pilot:
        preview = await shown(app, picture)
        await pilot.pause()
        assert preview.protocol is SIXEL
        # 40x40 pixels in 10x20 cells (no tty here): 20 columns x 10 rows
        assert line_text(preview, 0) == " " * 40
        assert f"\x1b7\x1b[9A\x1b[20D{SIXEL_START}" in line_text(preview, 9)


async def test_unknown_protocol_is_a_one_line_warning(
    picture: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV_VAR, "ascii-art")
    app = PreviewApp()
    async with app.run_test(size=(40, 10)) as pilot:
        preview = await shown(app, picture)
        await pilot.pause()
        assert preview.protocol is HALF
        messages = [n.message for n in app._notifications]
        assert messages == [
            f"{ENV_VAR}='ascii-art' is not one of halfblock|kitty|sixel|auto; using auto"
        ]
