"""The log viewer's index: real files, line endings as tools write them, growth."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tuitrain.output import log_index
from tuitrain.output.line_starts import LineStarts
from tuitrain.output.log_filter import LineFilter, compile_query
from tuitrain.output.log_index import LogIndex, display_text

FIXTURES = Path(__file__).parents[1] / "fixtures" / "outputs"


def indexed(path: Path, data: bytes, **kwargs: int) -> LogIndex:
    path.write_bytes(data)
    index = LogIndex(path, **kwargs)
    index.refresh()
    return index


def all_lines(index: LogIndex) -> list[str]:
    return index.read_lines(0, index.line_count)


def test_line_endings_and_no_trailing_newline(tmp_path: Path) -> None:
    index = indexed(tmp_path / "a.log", b"one\r\ntwo\n\nfour")
    assert index.line_count == 4
    assert all_lines(index) == ["one", "two", "", "four"]
    assert index.read_lines(1, 2) == ["two", ""]
    assert index.read_lines(3, 10) == ["four"]
    assert index.read_lines(4, 1) == []


def test_trailing_newline_makes_no_empty_line(tmp_path: Path) -> None:
    index = indexed(tmp_path / "a.log", b"one\ntwo\n")
    assert all_lines(index) == ["one", "two"]
    empty = indexed(tmp_path / "b.log", b"")
    assert empty.line_count == 0
    assert empty.read_lines(0, 5) == []


def test_carriage_return_redraws_show_the_last_one(tmp_path: Path) -> None:
    data = (
        b"Epoch 0:  10%|#   | 1/10\rEpoch 0: 100%|####| 10/10\n"
        b"\r\x1b[K  1/2  0G  4.14: 0%\r\x1b[K  1/2  0G  2.30: 100%\r\n"
        b"done\r\x1b[K\n"
        b"\x1b[34m\x1b[1mtrain: \x1b[0mScanning\tok\n"
    )
    index = indexed(tmp_path / "a.log", data)
    assert all_lines(index) == [
        "Epoch 0: 100%|####| 10/10",
        "  1/2  0G  2.30: 100%",
        "done",
        "train: Scanning ok",
    ]


def test_missing_file_then_created(tmp_path: Path) -> None:
    path = tmp_path / "later.log"
    index = LogIndex(path)
    assert index.refresh() is False
    assert index.line_count == 0
    path.write_bytes(b"hello\n")
    assert index.refresh() is True
    assert all_lines(index) == ["hello"]


def test_follow_appends_and_a_growing_last_line(tmp_path: Path) -> None:
    path = tmp_path / "run.log"
    index = indexed(path, b"first\nsecond par")
    assert all_lines(index) == ["first", "second par"]
    assert index.refresh() is False
    with path.open("ab") as fh:
        fh.write(b"tial\rredrawn")
    assert index.refresh() is True
    assert all_lines(index) == ["first", "redrawn"]
    with path.open("ab") as fh:
        fh.write(b"\nthird\n")
    index.refresh()
    assert all_lines(index) == ["first", "redrawn", "third"]
    assert index.stable_lines == 3


def test_appended_while_being_indexed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log_index, "CHUNK", 64)
    path = tmp_path / "run.log"
    lines = [f"line {i:04d} " + "x" * 20 for i in range(200)]
    path.write_text("\n".join(lines[:100]) + "\n")
    index = LogIndex(path)
    index.refresh(max_bytes=1000)
    assert not index.done
    partial = index.line_count
    assert 0 < partial < 100
    assert index.read_lines(0, partial) == lines[:partial]
    with path.open("a") as fh:
        fh.write("\n".join(lines[100:]) + "\n")
    while not index.done:
        index.refresh(max_bytes=1000)
    index.refresh()
    assert index.line_count == 200
    assert all_lines(index) == lines
    assert 0 < index.progress <= 1.0


def test_truncated_file_is_indexed_again(tmp_path: Path) -> None:
    path = tmp_path / "run.log"
    index = indexed(path, b"a\nb\nc\n")
    path.write_bytes(b"new\n")
    index.refresh()
    assert index.generation == 1
    assert all_lines(index) == ["new"]


def test_start_offset_skips_a_partial_first_line(tmp_path: Path) -> None:
    index = indexed(tmp_path / "a.log", b"aaaa\nbbbb\ncccc\n", start=2)
    assert all_lines(index) == ["bbbb", "cccc"]
    at_boundary = indexed(tmp_path / "b.log", b"aaaa\nbbbb\ncccc\n", start=5)
    assert all_lines(at_boundary) == ["bbbb", "cccc"]


def test_long_lines_are_capped(tmp_path: Path) -> None:
    bar = b"".join(b"\r%7d/1000000 it" % i for i in range(20000))  # ~300 KB of redraws
    blob = b"y" * 300_000
    index = indexed(tmp_path / "a.log", b"head\n" + bar + b"\n" + blob + b"\ntail\n")
    head, redraw, long, tail = all_lines(index)
    assert (head, tail) == ("head", "tail")
    assert redraw == "  19999/1000000 it"
    assert long.startswith("yyyy") and long.endswith("[truncated]") and len(long) < 20_000
    assert index.read_lines(2, 1) == [long]


def test_search_forward_backward_and_regex(tmp_path: Path) -> None:
    text = "".join(f"step {i} loss={1 / (i + 1):.3f}\n" for i in range(50))
    text += "Traceback (most recent call last):\n  RuntimeError: boom\n"
    index = indexed(tmp_path / "a.log", text.encode())
    assert index.search("traceback", 0) == 50
    assert index.search("STEP 1", 0) is None  # capitals: case matters (smart case)
    assert index.search("step 1", 2) == 10
    assert index.search("step 1", 9, backwards=True) == 1
    assert index.search("nothing here", 0) is None
    assert index.search(compile_query(r"loss=0\.0[0-9]+", regex=True), 0) == 10
    assert index.search(compile_query(r"error", case_sensitive=False), 0) == 51
    with pytest.raises(re.error):
        compile_query("(", regex=True)


def test_search_sees_what_is_shown(tmp_path: Path) -> None:
    data = b"\x1b[1mEpoch\x1b[0m 1 starts\nhidden 50%\rshown 100%\n"
    index = indexed(tmp_path / "a.log", data)
    assert index.search("Epoch 1", 0) == 0  # across an escape code
    assert index.search(compile_query("^shown", regex=True), 0) == 1
    assert index.search("hidden", 0) is None  # overwritten by a redraw
    assert index.search("shown", 0) == 1


def test_search_streams_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(log_index, "CHUNK", 100)
    lines = [f"{i:05d} {'needle' if i % 97 == 0 else 'hay'}" for i in range(1000)]
    index = indexed(tmp_path / "a.log", ("\n".join(lines) + "\n").encode())
    hits = [i for i in range(1000) if i % 97 == 0]
    assert list(index.matching_lines(compile_query("needle"), 0, 999)) == hits
    assert list(index.matching_lines(compile_query("needle"), 0, 999, backwards=True)) == hits[::-1]
    assert index.search("needle", 98) == 194
    assert index.search("needle", 193, backwards=True) == 97


def test_filter_builds_incrementally_and_follows(tmp_path: Path) -> None:
    path = tmp_path / "run.log"
    lines = [f"{i} {'val' if i % 10 == 0 else 'train'}" for i in range(100)]
    index = indexed(path, ("\n".join(lines) + "\n").encode())
    flt = LineFilter(index, compile_query("val"))
    flt.update(max_lines=35)
    assert list(flt.lines) == [0, 10, 20, 30]
    assert not flt.done
    flt.update()
    assert flt.done and len(flt) == 10
    assert flt.line_at(3) == 30 and flt.row_of(35) == 3
    assert 40 in flt and 41 not in flt
    with path.open("a") as fh:
        fh.write("100 val partial")
    index.refresh()
    assert flt.update() is True
    assert len(flt) == 11 and flt.tail_matches and flt.line_at(10) == 100
    with path.open("a") as fh:
        fh.write(" done\n101 train\n")
    index.refresh()
    flt.update()
    assert list(flt.lines)[-1] == 100 and not flt.tail_matches and len(flt) == 11


def test_line_starts_above_4_gib() -> None:
    starts = LineStarts()
    starts.extend([0, 100])
    starts.raise_high(1)
    starts.extend([5, 6])
    starts.raise_high(3)  # a single line longer than 4 GiB
    starts.extend([7])
    assert [starts[i] for i in range(5)] == [0, 100, (1 << 32) + 5, (1 << 32) + 6, (3 << 32) + 7]
    many = LineStarts()
    many.extend(range(150_000))  # across blocks
    many.extend(range(150_000, 150_010))
    assert len(many) == 150_010 and many[65_536] == 65_536 and many[150_009] == 150_009
    assert len(many.blocks) == 3 and many.nbytes() == 4 * 150_010


def test_recorded_outputs(tmp_path: Path) -> None:
    raw = (FIXTURES / "yolo_cli_output_pipe.raw").read_bytes()
    index = indexed(tmp_path / "yolo.log", raw)
    lines = all_lines(index)
    assert len(lines) == raw.count(b"\n") + (not raw.endswith(b"\n"))
    assert not any("\x1b" in line or "\r" in line for line in lines)
    epoch = index.search(compile_query(r"^\s+2/2\s+0G", regex=True), 0)
    assert epoch is not None and "100%" in lines[epoch]
    assert display_text(b"\r\x1b[K") == ""


def test_generated_50_mb_log(tmp_path: Path) -> None:
    """About 50 MB in Ultralytics' pipe style: counts, random reads, a search at the end."""
    row = b"\r\x1b[K      %d/300      3.1G      1.234      2.345      1.111         45        640: 100%% 250/250 4.0it/s\n"
    path = tmp_path / "big.log"
    with path.open("wb") as fh:
        for block in range(450):
            fh.write(b"".join(row % (block * 1000 + i) for i in range(1000)))
        fh.write(b"Traceback (most recent call last):\nRuntimeError: CUDA out of memory")
    index = LogIndex(path)
    steps = 0
    while not index.done or steps == 0:
        index.refresh(max_bytes=8 << 20)
        steps += 1
    assert steps > 5 and path.stat().st_size > 45_000_000
    assert index.line_count == 450_002
    assert index.nbytes < 4 * 460_000
    assert index.read_lines(123_456, 1)[0].startswith("      123456/300")
    assert index.search("CUDA out of memory", 0) == 450_001
    assert index.search("RuntimeError", 450_001, backwards=True) == 450_001
    assert index.search("     449999/300", 440_000) == 449_999


def test_the_index_does_not_need_textual() -> None:
    code = (
        "import sys, tuitrain.output.log_index, tuitrain.output.log_filter; "
        "sys.exit('textual' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
