"""Which way an image is drawn in this terminal: kitty graphics, sixel, or half-blocks.

Asking the terminal (a query and its answer on stdin) is not possible once Textual reads
stdin, so the choice comes from what terminals put in the environment, and the user can
force it with ``TUITRAIN_IMAGE_PROTOCOL=halfblock|kitty|sixel|auto`` (default auto).

Auto picks kitty graphics in kitty and Ghostty (they draw kitty's Unicode placeholders),
sixel in WezTerm, foot, Konsole, mlterm, contour and iTerm2, half-blocks anywhere else.
Inside tmux or screen, graphics only pass through with ``allow-passthrough`` set (and
they do not follow pane switches), so auto falls back to half-blocks there; forcing a
protocol still uses it (kitty's escapes are then wrapped for tmux's passthrough). A headless app (tests) uses half-blocks unless forced, so snapshots are
the same on every terminal.
"""

from __future__ import annotations

import enum
import fcntl
import struct
import sys
import termios
from collections.abc import Mapping

ENV_VAR = "TUITRAIN_IMAGE_PROTOCOL"
DEFAULT_CELL_PIXELS = (10, 20)  # a VT340 cell, when the terminal does not say


class ImageProtocol(enum.Enum):
    HALFBLOCK = "halfblock"
    KITTY = "kitty"
    SIXEL = "sixel"


KITTY_TERMS = ("xterm-kitty", "xterm-ghostty")
KITTY_PROGRAMS = ("kitty", "ghostty")
SIXEL_TERMS = ("foot", "foot-extra", "mlterm", "contour", "wezterm", "yaft-256color")
SIXEL_PROGRAMS = ("wezterm", "iterm.app", "mlterm", "contour")


def choose_protocol(
    environ: Mapping[str, str], *, headless: bool = False
) -> tuple[ImageProtocol, str]:
    """The protocol to use, and a one-line warning when the forced value is not known."""
    forced = environ.get(ENV_VAR, "auto").strip().lower()
    if forced in {p.value for p in ImageProtocol}:
        return ImageProtocol(forced), ""
    warning = ""
    if forced not in ("", "auto"):
        choices = "|".join([*(p.value for p in ImageProtocol), "auto"])
        warning = f"{ENV_VAR}={forced!r} is not one of {choices}; using auto"
    return _guess(environ, headless), warning


def _guess(environ: Mapping[str, str], headless: bool) -> ImageProtocol:
    term = environ.get("TERM", "").lower()
    program = environ.get("TERM_PROGRAM", "").lower()
    if headless or environ.get("TMUX") or term.startswith(("tmux", "screen")):
        return ImageProtocol.HALFBLOCK
    if environ.get("KITTY_WINDOW_ID") or term in KITTY_TERMS or program in KITTY_PROGRAMS:
        return ImageProtocol.KITTY
    if (
        term in SIXEL_TERMS
        or program in SIXEL_PROGRAMS
        or environ.get("KONSOLE_VERSION")
        or environ.get("WEZTERM_EXECUTABLE")
    ):
        return ImageProtocol.SIXEL
    return ImageProtocol.HALFBLOCK


def cell_pixels() -> tuple[int, int]:
    """The size of a terminal cell in pixels (width, height), from the tty's window size;
    a VT340 cell when the terminal does not report pixels."""
    stream = sys.__stdout__
    try:
        if stream is None or not stream.isatty():
            return DEFAULT_CELL_PIXELS
        packed = fcntl.ioctl(stream.fileno(), termios.TIOCGWINSZ, b"\0" * 8)
        rows, columns, width, height = struct.unpack("HHHH", packed)
    except (OSError, ValueError):
        return DEFAULT_CELL_PIXELS
    if not (rows and columns and width and height):
        return DEFAULT_CELL_PIXELS
    return max(1, width // columns), max(1, height // rows)
