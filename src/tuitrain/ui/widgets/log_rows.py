"""Turning log lines into screen rows: search highlights and hard wrapping.

Pure functions over Rich segments, so the log view stays about scrolling and files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip


def highlighted(text: str, pattern: re.Pattern[str] | None, style: Style, mark: Style) -> Strip:
    """``text`` in ``style``, with what ``pattern`` matches in ``style + mark``."""
    if pattern is None:
        return Strip([Segment(text, style)])
    segments, pos, marked = [], 0, style + mark
    for m in pattern.finditer(text):
        if m.end() > m.start():
            segments += [Segment(text[pos : m.start()], style), Segment(m[0], marked)]
            pos = m.end()
    segments.append(Segment(text[pos:], style))
    return Strip(segments)


def wrapped(
    lines: Iterable[Strip], width: int, height: int, from_end: bool, style: Style
) -> list[Strip]:
    """Rows of ``lines`` cut every ``width`` cells, enough to fill ``height`` rows.

    With ``from_end`` the lines come last first and the rows end with the last one
    (what a terminal shows at the bottom of its scrollback).
    """
    rows: list[Strip] = []
    for strip in lines:
        cells = strip.cell_length
        pieces = list(strip.divide(range(width, cells, width))) if cells > width else [strip]
        pieces = [p.extend_cell_length(width, style) for p in pieces]
        rows = pieces + rows if from_end else rows + pieces
        if len(rows) >= height:
            break
    return rows[-height:] if from_end else rows[:height]
