"""An image inside the terminal: kitty graphics, sixels, or half-block characters.

For a user on a headless server over SSH: the preview the label editor renders (boxes
and class names drawn) shows here as well as in an external viewer. The file is read
and shrunk in a thread worker; drawing scales the small copy to the widget's size,
keeping the aspect ratio.

The way of drawing is chosen once per widget (:func:`choose_protocol`): kitty's graphics
protocol in kitty and Ghostty, sixels in terminals known to draw them, half-blocks (two
square pixels per cell, in any terminal with 256 or true colours) elsewhere, and always
inside tmux or screen, which pass graphics through only with ``allow-passthrough`` on.
``TUITRAIN_IMAGE_PROTOCOL=halfblock|kitty|sixel|auto`` forces one, tmux or not (in tmux,
kitty's escapes are wrapped for passthrough: ``set -g allow-passthrough on``; sixels
need a tmux built with sixel support). Graphics
are drawn only while the widget's screen is the active one: under a modal (the class
picker, help) the preview falls back to half-blocks, so no image covers the dialog.
Headless apps (tests) use half-blocks unless forced, so snapshots never depend on the
terminal that runs them.
"""

from __future__ import annotations

import os
from pathlib import Path

from PIL import Image
from rich.color import Color
from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import on, work
from textual.app import RenderResult as WidgetRender
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget
from textual.worker import Worker

from tuitrain.ui.app import report_worker_error
from tuitrain.ui.widgets.image_protocols import ImageProtocol, cell_pixels, choose_protocol
from tuitrain.ui.widgets.kitty_image import KittyImage, new_image_id, png_base64
from tuitrain.ui.widgets.sixel_image import SixelImage

MAX_PIXELS = 400  # the copy kept in memory: enough for any terminal pane
UPPER_HALF = "▀"


def fit(image_size: tuple[int, int], cells: tuple[int, int]) -> tuple[int, int]:
    """The pixel size (width, even height) that fits ``cells`` (columns, rows), aspect kept."""
    width, height = image_size
    columns, rows = cells
    if width <= 0 or height <= 0 or columns <= 0 or rows <= 0:
        return 0, 0
    scale = min(columns / width, 2 * rows / height)
    fitted_w = max(1, min(columns, round(width * scale)))
    fitted_h = max(2, min(2 * rows, round(height * scale)))
    return fitted_w, fitted_h + fitted_h % 2


class HalfBlocks:
    """A Rich renderable: ``image`` as upper-half blocks (top pixel foreground, bottom
    pixel background), centred in ``columns``."""

    def __init__(self, image: Image.Image, columns: int, rows: int) -> None:
        self.image, self.columns, self.rows = image, columns, rows

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width, height = fit(self.image.size, (self.columns, self.rows))
        if not width:
            return
        small = self.image.resize((width, height), Image.Resampling.BILINEAR)
        pixels = small.load()
        assert pixels is not None
        pad = (self.columns - width) // 2
        for top in range(0, height, 2):
            if pad:
                yield Segment(" " * pad)
            for x in range(width):
                up, down = pixels[x, top], pixels[x, min(top + 1, height - 1)]
                assert isinstance(up, tuple) and isinstance(down, tuple)
                style = Style(color=Color.from_rgb(*up[:3]), bgcolor=Color.from_rgb(*down[:3]))
                yield Segment(UPPER_HALF, style)
            yield Segment.line()


class ImagePreview(Widget):
    """Shows the image at a path (``show``), or a dim placeholder."""

    DEFAULT_CSS = """
    ImagePreview { width: 1fr; height: 1fr; }
    """

    class Loaded(Message, bubble=False):
        """An image was read and shrunk, ready to draw."""

        def __init__(
            self, path: Path, image: Image.Image | None, error: str = "", png: str = ""
        ) -> None:
            super().__init__()
            self.path, self.image, self.error = path, image, error
            self.png = png  # base64 PNG for kitty graphics, else empty

    def __init__(self, placeholder: str = "no image", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.placeholder = placeholder
        self.path: Path | None = None
        self.image: Image.Image | None = None
        self.error = ""
        self.protocol = ImageProtocol.HALFBLOCK
        self.cell_pixels = (10, 20)
        self._png = ""
        self._image_id = new_image_id()
        self._in_tmux = False
        self._loads = 0  # images loaded so far: the graphics cache's key
        self._lines: tuple[tuple[int, int, int], list[Strip]] | None = None

    def on_mount(self) -> None:
        self.protocol, warning = choose_protocol(os.environ, headless=self.app.is_headless)
        self._in_tmux = bool(os.environ.get("TMUX"))
        if warning:
            self.notify(warning, severity="warning", timeout=10)
        if self.protocol is not ImageProtocol.HALFBLOCK:
            self.cell_pixels = cell_pixels()
            self.app.screen_change_signal.subscribe(self, lambda _screen: self.refresh())

    def show(self, path: Path | None) -> None:
        """Draw the image at ``path`` (read again even when the path is the same: the
        file may have changed), or the placeholder for None."""
        self.path = path
        if path is None:
            self.image, self.error = None, ""
            self.refresh()
            return
        self._read(path)

    @work(thread=True, exclusive=True, group="image-preview", exit_on_error=False, name="preview")
    def _read(self, path: Path) -> None:
        png = ""
        try:
            with Image.open(path) as source:
                source.draft("RGB", (MAX_PIXELS, MAX_PIXELS))
                image = source.convert("RGB")
            image.thumbnail((MAX_PIXELS, MAX_PIXELS))
            if self.protocol is ImageProtocol.KITTY:
                png = png_base64(image)
        except OSError as exc:
            self.post_message(self.Loaded(path, None, f"cannot show {path.name}: {exc}"))
            return
        self.post_message(self.Loaded(path, image, png=png))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        if event.path != self.path:
            return  # another image was asked for meanwhile
        self.image, self.error, self._png = event.image, event.error, event.png
        self._loads += 1
        self.refresh()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)

    def render(self) -> WidgetRender:
        if self.image is None:
            return Text(self.error or self.placeholder, style="dim", justify="center")
        return HalfBlocks(self.image, self.size.width, self.size.height)

    def render_line(self, y: int) -> Strip:
        """Graphics lines are built here, not through :meth:`render`: Textual's visual
        pipeline crops escapes as if they were text, a Strip keeps them zero-width."""
        lines = self._graphics_lines()
        if lines is None:
            return super().render_line(y)
        return lines[y] if y < len(lines) else Strip.blank(self.size.width)

    def _graphics_lines(self) -> list[Strip] | None:
        """Kitty or sixel lines for the image, or None where half-blocks are drawn."""
        image, width = self.image, self.size.width
        if image is None or self.protocol is ImageProtocol.HALFBLOCK or not self.screen.is_active:
            return None
        key = (self._loads, self.size.width, self.size.height)
        if self._lines is not None and self._lines[0] == key:
            return self._lines[1]
        cells = (width, self.size.height)
        renderable: KittyImage | SixelImage
        if self.protocol is ImageProtocol.KITTY:
            renderable = KittyImage(
                image, self._png, self._image_id, cells, self.cell_pixels, in_tmux=self._in_tmux
            )
        else:
            renderable = SixelImage(image, cells, self.cell_pixels)
        console = self.app.console
        segments = console.render(renderable, console.options.update_width(width))
        lines = [
            Strip(line, width)
            for line in Segment.split_and_crop_lines(
                segments, width, include_new_lines=False, pad=True
            )
        ]
        self._lines = (key, lines)
        return lines
