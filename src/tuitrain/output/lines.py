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

Speed: the complete part of a chunk is stripped of escape sequences with one pass over
the bytes and decoded once; the text is then cut on ``\\n`` and ``\\r`` (on ``\\r``
first when the lines are long, i.e. mostly progress-bar redraws). This gives exactly
what stripping and decoding every segment on its own gives: no escape sequence the
chunk pattern removes contains ``\\r`` or ``\\n`` (its OSC branch stops at them, as
the end of a segment stops it), and no UTF-8 sequence, valid or not, spans these ASCII
bytes, so an invalid one is replaced the same way whether a terminator or the end of
the segment follows it. What the stripped text cannot tell, the raw bytes do: a line
ends with ``\\r\\n`` only if the \\r is right before the \\n in the raw bytes, and a
redraw is dropped as empty only if it was empty before its escapes were stripped. A
chunk with a segment that may be longer than the cap goes segment by segment, which
caps bytes (``tests/output/test_lines.py`` checks all this against that path).
"""

from __future__ import annotations

import gc
import re
from itertools import repeat
from operator import itemgetter
from typing import NamedTuple

# CSI (ESC [ ... final), OSC (ESC ] ... BEL/ST), and two-byte ESC sequences.
_ANSI = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_ANSI_STR = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
# The same over a whole chunk: an unterminated OSC ends at its segment's end, as it
# does when a single segment is stripped. No other branch can match \r or \n.
_ANSI_CHUNK = re.compile(
    rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b\r\n]*(?:\x07|\x1b\\)?|[@-Z\\-_])"
)
# tqdm's and Ultralytics' "clear to end of line": removing every occurrence is what the
# pattern does, provided no other ESC is left (an unfinished sequence before one could
# otherwise be completed by the text after it).
_CLEAR_EOL = b"\x1b[K"

MAX_LINE_BYTES = 16 * 1024
_PAUSE_GC_FROM = 256 * 1024  # bytes handed to split() at once
TRUNCATION_MARK = " …[truncated]"


def strip_ansi(text: str) -> str:
    """Remove terminal escape sequences from decoded text."""
    if "\x1b" not in text:
        return text
    return _ANSI_STR.sub("", text)


class Segment(NamedTuple):
    """One line or redraw as the terminal shows it."""

    text: str
    final: bool


_new = tuple.__new__
_TEXT = itemgetter(0)
_FINAL = repeat(True)  # endless: zip() stops at the texts, so these can be shared
_REDRAW = repeat(False)


def _segments(texts: list[str], finals: repeat[bool]) -> map[Segment]:
    """``Segment(text, final)`` for every text, built without a Python-level call."""
    return map(_new, repeat(Segment), zip(texts, finals, strict=False))


def _lines(raw: bytes, escaped: bool, text: str) -> list[Segment]:
    """The segments of ``text`` (``raw`` stripped of escapes and decoded), line by line."""
    lines = text.split("\n")
    rest = lines.pop()  # after the last \n: "" or redraws, each ending with \r
    # Where escapes were stripped, the raw lines tell what the text cannot: whether a
    # line ended with \r\n, and which redraws were empty before (those are dropped).
    raw_lines: list[bytes] | None = None
    segs: list[Segment] = []
    extend = segs.extend
    append = segs.append
    for i, line in enumerate(lines):
        if "\r" in line:
            subs = line.split("\r")
            last = subs.pop()
            if not last:
                # "\r\n" ends a line as "\n" does: "a\r\r\n" is a redraw "a", then "".
                if escaped and raw_lines is None:
                    raw_lines = raw.split(b"\n")
                if raw_lines is None or raw_lines[i].endswith(b"\r"):
                    last = subs.pop()
            if "" in subs:
                if escaped and raw_lines is None:
                    raw_lines = raw.split(b"\n")
                subs = _non_empty(subs, None if raw_lines is None else raw_lines[i])
            extend(_segments(subs, _REDRAW))
            append(_new(Segment, (last, True)))
        else:
            append(_new(Segment, (line, True)))
    if rest:
        subs = rest.split("\r")
        subs.pop()  # "": the text ends with \r
        if "" in subs:
            if escaped and raw_lines is None:
                raw_lines = raw.split(b"\n")
            subs = _non_empty(subs, None if raw_lines is None else raw_lines[-1])
        extend(_segments(subs, _REDRAW))
    return segs


def _redraws(raw: bytes, escaped: bool, text: str) -> list[Segment] | None:
    """The segments of a text that is mostly redraws, cut on \\r first (one copy of the
    text instead of two). None where :func:`_lines` has to do it: a \\r\\n line end,
    or an empty redraw where escapes were stripped.

    Without \\r\\n in the raw bytes, a piece that starts with \\n in the text had only
    escapes before it: an empty line, as :func:`_lines` finds too."""
    # The pieces (cut on \r) that hold a \n, found on the raw bytes: the same terminators
    # in the same order.
    holders: list[int] = []
    at = raw.find(b"\n")
    before = 0
    index = 0
    while at >= 0:
        if at and raw[at - 1] == 13:
            return None  # "\r\n"
        index += raw.count(b"\r", before, at)
        before = at
        if not holders or holders[-1] != index:
            holders.append(index)
        at = raw.find(b"\n", at + 1)
    pieces = text.split("\r")  # each ends with \r, but the last
    rest = pieces.pop()  # "" or lines ending with \n
    if holders and holders[-1] == len(pieces):
        holders.pop()  # those \n are in the rest
    segs: list[Segment] = []
    extend = segs.extend
    append = segs.append
    start = 0
    for index in holders:
        piece = pieces[index]
        run = pieces[start:index]
        if "" in run:
            if escaped:
                return None
            run = [s for s in run if s]
        extend(_segments(run, _REDRAW))
        parts = piece.split("\n")
        last = parts.pop()
        extend(_segments(parts, _FINAL))
        if last:
            append(_new(Segment, (last, False)))
        elif escaped:
            return None
        start = index + 1
    run = pieces[start:] if start else pieces
    if "" in run:
        if escaped:
            return None
        run = [s for s in run if s]
    extend(_segments(run, _REDRAW))
    if rest:
        lines = rest.split("\n")
        lines.pop()  # "": the text ends with \n
        extend(_segments(lines, _FINAL))
    return segs


def _non_empty(subs: list[str], raw_line: bytes | None) -> list[str]:
    """The redraws of a line that were not empty before escapes were stripped."""
    if raw_line is None:
        return [s for s in subs if s]
    return [s for s, r in zip(subs, raw_line.split(b"\r"), strict=False) if r]


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
        if len(data) < _PAUSE_GC_FROM or not gc.isenabled():
            return self._split(data, eof)
        # Tens of thousands of segments at once: each would count towards the garbage
        # collector's next run, which would go through all of them again and again.
        # They hold no reference cycles, so there is nothing for it to find meanwhile.
        gc.disable()
        try:
            return self._split(data, eof)
        finally:
            gc.enable()

    def _split(self, data: bytes, eof: bool) -> tuple[list[Segment], int]:
        out: list[Segment] = []
        end = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
        if end and not eof and end == len(data) and data[end - 1] == 13:
            # A trailing \r may be the first half of \r\n: wait for the next byte.
            end = max(data.rfind(b"\n", 0, end - 1), data.rfind(b"\r", 0, end - 1)) + 1
        if end:
            complete = data[:end] if end < len(data) else data
            if not self._split_text(complete, out):
                self._split_bytes(complete, out)
        tail = data[end:]
        consumed = end
        if tail and (eof or len(tail) > self.max_line):
            if not self.skipping:
                out.append(_new(Segment, (_clean(tail, self.max_line), eof)))
            consumed = len(data)
            self.skipping = not eof
        return out, consumed

    def _split_text(self, complete: bytes, out: list[Segment]) -> bool:
        """Split ``complete`` (it ends with \\r or \\n) as one text.

        Returns False, with nothing done, when a segment may be over the cap.
        """
        raw = complete
        if self.skipping:
            # The rest of an over-long line: up to the first terminator, whatever it is.
            nl = raw.find(b"\n")
            cr = raw.find(b"\r", 0, nl) if nl >= 0 else raw.find(b"\r")
            raw = raw[(nl if cr < 0 or cr + 1 == nl else cr) + 1 :]
        stripped = raw
        if b"\x1b" in raw:
            stripped = raw.replace(_CLEAR_EOL, b"")
            if b"\x1b" in stripped:
                stripped = _ANSI_CHUNK.sub(b"", raw)
        text = stripped.decode("utf-8", "replace")
        # The cap counts bytes; a character stands for at most 4 of them.
        limit = self.max_line if stripped.isascii() else self.max_line // 4
        segs: list[Segment] | None = None
        if "\r" not in text:
            lines = text.split("\n")
            lines.pop()  # "": the text ends with \n
            if len(text) > limit and lines and max(map(len, lines)) > limit:
                return False
            out.extend(_segments(lines, _FINAL))
            self.skipping = False
            return True
        if raw.count(b"\n") * 512 < len(raw):  # long lines: mostly redraws
            segs = _redraws(raw, len(stripped) != len(raw), text)
        if segs is None:
            segs = _lines(raw, len(stripped) != len(raw), text)
        if len(text) > limit and max(map(len, map(_TEXT, segs)), default=0) > limit:
            return False
        out.extend(segs)
        self.skipping = False
        return True

    def _split_bytes(self, complete: bytes, out: list[Segment]) -> None:
        """Segment by segment, capping each at ``max_line`` bytes."""
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
                        append(_new(Segment, (_clean(sub, max_line), is_final)))
            else:
                if self.skipping:
                    self.skipping = False
                    continue
                append(_new(Segment, (_clean(piece, max_line), ends_with_newline)))
