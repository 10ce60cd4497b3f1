"""An image inside the terminal, two pixels per cell with half-block characters.

For a user on a headless server over SSH: the preview the label editor renders (boxes
and class names drawn) shows here as well as in an external viewer. The file is read
and shrunk in a thread worker; drawing scales the small copy to the widget's size,
keeping the aspect ratio (a cell is about twice as tall as wide, so a cell's two
half-blocks are square pixels). Half-blocks work in every terminal with true colour or
256 colours; terminal graphics protocols (kitty, sixel) are not used.
"""

from __future__ import annotations

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
from textual.widget import Widget
from textual.worker import Worker

from tuitrain.ui.app import report_worker_error

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

        def __init__(self, path: Path, image: Image.Image | None, error: str = "") -> None:
            super().__init__()
            self.path, self.image, self.error = path, image, error

    def __init__(self, placeholder: str = "no image", *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.placeholder = placeholder
        self.path: Path | None = None
        self.image: Image.Image | None = None
        self.error = ""

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
        try:
            with Image.open(path) as source:
                source.draft("RGB", (MAX_PIXELS, MAX_PIXELS))
                image = source.convert("RGB")
            image.thumbnail((MAX_PIXELS, MAX_PIXELS))
        except OSError as exc:
            self.post_message(self.Loaded(path, None, f"cannot show {path.name}: {exc}"))
            return
        self.post_message(self.Loaded(path, image))

    @on(Loaded)
    def _loaded(self, event: Loaded) -> None:
        if event.path != self.path:
            return  # another image was asked for meanwhile
        self.image, self.error = event.image, event.error
        self.refresh()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)

    def render(self) -> WidgetRender:
        if self.image is None:
            return Text(self.error or self.placeholder, style="dim", justify="center")
        return HalfBlocks(self.image, self.size.width, self.size.height)
