"""The line splitter: chunk-at-once decoding gives exactly what the segment-by-segment
implementation it replaced gave, for any bytes and any way they arrive."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuitrain.output.lines import MAX_LINE_BYTES, TRUNCATION_MARK, LineSplitter, Segment

FIXTURES = Path(__file__).parents[1] / "fixtures" / "outputs"

# --- the previous implementation, segment by segment, kept as the reference ----------

_ANSI = re.compile(rb"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


@dataclass(frozen=True, slots=True)
class _RefSegment:
    text: str
    final: bool


def _clean(raw: bytes, max_line: int) -> str:
    if b"\x1b" in raw:
        raw = _ANSI.sub(b"", raw)
    if len(raw) > max_line:
        return raw[:max_line].decode("utf-8", "replace") + TRUNCATION_MARK
    return raw.decode("utf-8", "replace")


class ReferenceSplitter:
    def __init__(self, max_line: int = MAX_LINE_BYTES, skipping: bool = False) -> None:
        self.max_line = max_line
        self.skipping = skipping

    def split(self, data: bytes, eof: bool = False) -> tuple[list[_RefSegment], int]:
        out: list[_RefSegment] = []
        end = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
        if end and not eof and end == len(data) and data[end - 1] == 13:
            end = max(data.rfind(b"\n", 0, end - 1), data.rfind(b"\r", 0, end - 1)) + 1
        complete = data[:end]
        tail = data[end:]
        if complete:
            self._split_complete(complete, out)
        consumed = end
        if tail and (eof or len(tail) > self.max_line):
            if not self.skipping:
                out.append(_RefSegment(_clean(tail, self.max_line), eof))
            consumed = len(data)
            self.skipping = not eof
        return out, consumed

    def _split_complete(self, complete: bytes, out: list[_RefSegment]) -> None:
        pieces = complete.split(b"\n")
        last = len(pieces) - 1
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
                        out.append(_RefSegment(_clean(sub, self.max_line), is_final))
            else:
                if self.skipping:
                    self.skipping = False
                    continue
                out.append(_RefSegment(_clean(piece, self.max_line), ends_with_newline))


# --- driving both the same way --------------------------------------------------------

Run = list[tuple[str, bool] | tuple[str, int, bool]]


def follow(
    splitter: LineSplitter | ReferenceSplitter, data: bytes, cuts: list[int], eof: bool = True
) -> Run:
    """Feed ``data`` as a follower does: growing reads, unused bytes handed back."""
    out: Run = []
    pending = b""
    pos = 0
    for size in [*cuts, len(data)]:
        size = max(pos, min(size, len(data)))
        pending += data[pos:size]
        pos = size
        last = pos == len(data)
        segs, used = splitter.split(pending, eof=eof and last)
        out += [(s.text, s.final) for s in segs]
        out.append(("<used>", used, splitter.skipping))
        pending = pending[used:]
    return out


def check_same(
    data: bytes, cuts: tuple[int, ...] = (), max_line: int = MAX_LINE_BYTES, skipping: bool = False
) -> None:
    for eof in (True, False):
        new = follow(LineSplitter(max_line, skipping), data, list(cuts), eof)
        old = follow(ReferenceSplitter(max_line, skipping), data, list(cuts), eof)
        assert new == old


# Bytes that make splitting interesting: terminators, escape sequences (whole, cut, or
# open-ended), UTF-8 sequences whole and broken, surrogates, lone continuation bytes.
ATOMS = [
    b"\r",
    b"\n",
    b"\r\n",
    b"\r\r",
    b"\n\r",
    b"\x1b",
    b"\x1b[",
    b"\x1b[K",
    b"\x1b[2K",
    b"\x1b[1A",
    b"\x1b[31m",
    b"\x1b]0;title\x07",
    b"\x1b]8;;http://x\x1b\\",
    b"\x1b]",
    b"\x1b(B",
    b"\x1bM",
    b"\x07",
    b"\\",
    b"[",
    b"K",
    b"m",
    b"\xe2\x96\x88",
    b"\xe2\x96",
    b"\xe2",
    b"\x96",
    b"\x88",
    b"\xf0\x9f\x9a\x80",
    b"\xf0\x9f",
    b"\xed\xa0\x80",
    b"\xc3",
    b"\xa9",
    b"\x80",
    b"\xff",
    b"a",
    b"Epoch 0:  50%|",
    b" 3/4 [00:01<00:01, 2.5it/s, loss=0.5]",
    b"x" * 40,
]
chunks = st.lists(st.one_of(st.sampled_from(ATOMS), st.binary(max_size=6)), max_size=50).map(
    b"".join
)


def test_segments_are_named_tuples() -> None:
    segs, used = LineSplitter().split(b"a\rb\n\x1b[Kc\r\n", eof=False)
    assert segs == [Segment("a", False), Segment("b", True), Segment("c", True)]
    assert [(s.text, s.final) for s in segs] == [("a", False), ("b", True), ("c", True)]
    assert used == 10
    assert isinstance(segs[0], Segment) and segs[0]._fields == ("text", "final")


@pytest.mark.parametrize("fixture", sorted(p.name for p in FIXTURES.glob("*.raw")))
def test_fixtures_as_the_reference_splits_them(fixture: str) -> None:
    data = (FIXTURES / fixture).read_bytes()
    check_same(data)
    check_same(data, tuple(range(0, len(data), 997)))
    check_same(data, tuple(range(0, len(data), 61)), max_line=50)
    check_same(data, (len(data) // 3,), max_line=200, skipping=True)


@settings(max_examples=1500, deadline=None)
@given(
    chunks,
    st.lists(st.integers(min_value=0, max_value=300), max_size=6).map(sorted),
    st.sampled_from([1, 2, 3, 5, 8, 13, 40, 100, MAX_LINE_BYTES]),
    st.booleans(),
)
def test_random_bytes_as_the_reference_splits_them(
    data: bytes, cuts: list[int], max_line: int, skipping: bool
) -> None:
    check_same(data, tuple(cuts), max_line, skipping)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(ATOMS), min_size=1, max_size=400).map(b"".join))
def test_long_chunks_of_redraws_as_the_reference_splits_them(data: bytes) -> None:
    # Long texts take the length checks; a small cap sends some through the byte path.
    check_same(data, max_line=64)
    check_same(data, max_line=4 * 64 + 1)
    check_same(data)


REDRAW_ATOMS = [b"\r"] * 6 + [b"\n", b"\r\n", b"\n\r", b"\r\r", b"\x1b[K", b"\x1b[K\r"]
REDRAW_ATOMS += [b"\x1b]0;t", b"\x1b", b"\xe2\x96\x88", b"\xe2", b"\x80", b"a", b"bc", b"x" * 30]


@settings(max_examples=1500, deadline=None)
@given(
    st.lists(st.sampled_from(REDRAW_ATOMS), max_size=80).map(b"".join),
    st.lists(st.integers(min_value=0, max_value=300), max_size=4).map(sorted),
    st.sampled_from([5, 16, 64, MAX_LINE_BYTES]),
    st.booleans(),
)
def test_mostly_redraws_as_the_reference_splits_them(
    data: bytes, cuts: list[int], max_line: int, skipping: bool
) -> None:
    # Mostly \r: the text is cut on \r first (or handed back to the line-wise path).
    check_same(data, tuple(cuts), max_line, skipping)


@settings(max_examples=1000, deadline=None)
@given(chunks)
def test_decoding_a_chunk_at_once_is_decoding_its_pieces(data: bytes) -> None:
    """\\r and \\n are ASCII: no UTF-8 sequence spans them, valid or not, so a chunk
    decodes (with replacement) to its pieces' decodings joined by the terminators."""
    pieces = re.split(rb"([\r\n])", data)
    assert data.decode("utf-8", "replace") == "".join(p.decode("utf-8", "replace") for p in pieces)


@settings(max_examples=1000, deadline=None)
@given(chunks)
def test_stripping_a_chunk_at_once_is_stripping_its_pieces(data: bytes) -> None:
    """No escape sequence the chunk pattern removes spans a terminator."""
    from tuitrain.output.lines import _ANSI_CHUNK

    pieces = re.split(rb"([\r\n])", data)
    assert _ANSI_CHUNK.sub(b"", data) == b"".join(_ANSI.sub(b"", p) for p in pieces)


def test_escapes_only_redraws_stay_and_empty_ones_go() -> None:
    # A redraw that is only escapes is an (empty) segment; a redraw that was empty is not.
    segs, _ = LineSplitter().split(b"a\r\x1b[K\r\rb\r\x1b[2K\r\n", eof=True)
    assert [(s.text, s.final) for s in segs] == [
        ("a", False),
        ("", False),
        ("b", False),
        ("", True),
    ]
    # "\r" + escape + "\n" is not a "\r\n" line end.
    segs, _ = LineSplitter().split(b"a\r\x1b[K\n", eof=True)
    assert [(s.text, s.final) for s in segs] == [("a", False), ("", True)]


def test_cap_and_skipping_as_before() -> None:
    data = b"x" * 100 + b"\r" + b"y" * 10 + b"\n" + b"\xe2\x96\x88" * 30 + b"\n"
    check_same(data, (50, 120), max_line=64)
    segs, used = LineSplitter(max_line=64).split(b"z" * 70)
    assert [s.text for s in segs] == ["z" * 64 + TRUNCATION_MARK] and used == 70


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(REDRAW_ATOMS + ATOMS), max_size=120).map(b"".join))
def test_cutting_on_cr_first_is_cutting_line_by_line(data: bytes) -> None:
    """The two ways of cutting a chunk agree whenever the \\r-first one takes it on."""
    from tuitrain.output.lines import _ANSI_CHUNK, _lines, _redraws

    end = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
    raw = data[:end]
    stripped = _ANSI_CHUNK.sub(b"", raw)
    text = stripped.decode("utf-8", "replace")
    escaped = len(stripped) != len(raw)
    got = _redraws(raw, escaped, text)
    if got is not None:
        assert got == _lines(raw, escaped, text)
    if b"\r\n" not in raw and not escaped:
        assert got is not None
