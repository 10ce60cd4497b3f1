"""Split raw console output into segments the way a terminal shows them.

Progress bars redraw with ``\\r`` (often followed by ``ESC[K``), ordinary lines end with
``\\n`` or ``\\r\\n``. A segment ending with ``\\r`` is a redraw (``final=False``), one
ending with ``\\n`` stays on screen (``final=True``). Escape sequences are stripped,
bytes that are not UTF-8 are replaced, and absurdly long lines are capped so a child
that prints a megabyte without a newline cannot blow up memory.

The splitter only consumes complete segments: the caller keeps its byte offset at the
end of the last one and hands the rest back next time, so a partial line is never
parsed twice or lost, even across tuitrain restarts. The only state is ``skipping``
(inside an over-long line), which is saved with the offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# CSI (ESC [ ... final), OSC (ESC ] ... BEL/ST), and two-byte ESC sequences.
_ANSI = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_ANSI_STR = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")

MAX_LINE_BYTES = 16 * 1024
TRUNCATION_MARK = " …[truncated]"


def strip_ansi(text: str) -> str:
    """Remove terminal escape sequences from decoded text."""
    if "\x1b" not in text:
        return text
    return _ANSI_STR.sub("", text)


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    final: bool


def _clean(raw: bytes, max_line: int) -> str:
    if b"\x1b" in raw:
        raw = _ANSI.sub(b"", raw)
    if len(raw) > max_line:
        return raw[:max_line].decode("utf-8", "replace") + TRUNCATION_MARK
    return raw.decode("utf-8", "replace")


class LineSplitter:
    """Incremental, resumable splitter of console bytes into :class:`Segment` s."""

    def __init__(self, max_line: int = MAX_LINE_BYTES, skipping: bool = False) -> None:
        self.max_line = max_line
        self.skipping = skipping

    def split(self, data: bytes, eof: bool = False) -> tuple[list[Segment], int]:
        """Segments of ``data`` and how many bytes of it they used.

        With ``eof`` (the writer is gone) a trailing partial line is returned too.
        """
        out: list[Segment] = []
        end = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
        if end and not eof and end == len(data) and data[end - 1] == 13:
            # A trailing \r may be the first half of \r\n: wait for the next byte.
            end = max(data.rfind(b"\n", 0, end - 1), data.rfind(b"\r", 0, end - 1)) + 1
        complete = data[:end]
        tail = data[end:]
        if complete:
            self._split_complete(complete, out)
        consumed = end
        if tail and (eof or len(tail) > self.max_line):
            if not self.skipping:
                out.append(Segment(_clean(tail, self.max_line), eof))
            consumed = len(data)
            self.skipping = not eof
        return out, consumed

    def _split_complete(self, complete: bytes, out: list[Segment]) -> None:
        pieces = complete.split(b"\n")
        last = len(pieces) - 1
        max_line = self.max_line
        append = out.append
        for i, piece in enumerate(pieces):
            ends_with_newline = i < last
            if not ends_with_newline and not piece:
                break
            if ends_with_newline and piece.endswith(b"\r"):
                piece = piece[:-1]
            if b"\r" in piece:
                subs = piece.split(b"\r")
                n = len(subs) - 1
                for j, sub in enumerate(subs):
                    is_final = ends_with_newline and j == n
                    if self.skipping:
                        self.skipping = False
                        continue
                    if sub or is_final:
                        append(Segment(_clean(sub, max_line), is_final))
            else:
                if self.skipping:
                    self.skipping = False
                    continue
                append(Segment(_clean(piece, max_line), ends_with_newline))
