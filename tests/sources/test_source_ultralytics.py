"""Ultralytics results.csv."""

from __future__ import annotations

import random
from functools import partial
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tuitrain.metrics import MetricPoint
from tuitrain.sources.base import CHUNK_BYTES
from tuitrain.sources.ultralytics_csv import UltralyticsResultsSource

from .util import Follower, bytes_reader, file_reader, follow, prefixes, read_once

COLUMNS = [
    "epoch", "time", "train/box_loss", "train/cls_loss", "train/dfl_loss",
    "metrics/precision(B)", "metrics/recall(B)", "metrics/mAP50(B)", "metrics/mAP50-95(B)",
    "val/box_loss", "val/cls_loss", "val/dfl_loss", "lr/pg0", "lr/pg1", "lr/pg2",
]  # fmt: skip


def rows(epochs: int, seed: int = 0) -> list[list[float]]:
    rng = random.Random(seed)
    return [[e, 30.5 * e] + [rng.uniform(0, 3) for _ in COLUMNS[2:]] for e in range(1, epochs + 1)]


def modern(table: list[list[float]]) -> bytes:
    """As recent Ultralytics writes it: ``%s`` header, ``%.6g`` values."""
    out = ",".join(COLUMNS) + "\n"
    for row in table:
        out += ",".join(format(v, ".6g") for v in row) + "\n"
    return out.encode()


def padded(table: list[list[float]]) -> bytes:
    """As older versions wrote it: ``%23s`` / ``%23.5g``."""
    out = ",".join(format(c, ">23") for c in COLUMNS) + "\n"
    for row in table:
        out += ",".join(format(v, "23.5g") for v in row) + "\n"
    return out.encode()


def expected(table: list[list[float]], spec: str) -> list[tuple[str, float, int | None]]:
    return [
        (name, float(format(v, spec)), int(row[0]))
        for row in table
        for name, v in zip(COLUMNS[1:], row[1:], strict=True)
    ]


def triples(points: list[MetricPoint]) -> list[tuple[str, float, int | None]]:
    assert all(p.step is None and p.wall_time is None for p in points)
    return [(p.name, p.value, p.epoch) for p in points]


TABLE = rows(30)
DATA = modern(TABLE)


def test_complete_file_read_once(tmp_path: Path) -> None:
    path = tmp_path / "results.csv"
    path.write_bytes(DATA)
    follower = Follower(UltralyticsResultsSource)
    follower.poll(DATA, read_at=file_reader(path))
    assert triples(follower.metrics) == expected(TABLE, ".6g")
    assert follower.metrics[0] == MetricPoint("time", 30.5, epoch=1)
    assert follower.progress == []
    assert follower.state["header"] == ",".join(COLUMNS) + "\n"


def test_old_padded_format() -> None:
    data = padded(TABLE[:3])
    points = read_once(UltralyticsResultsSource, data)
    assert triples(points) == expected(TABLE[:3], "23.5g")
    assert {p.name for p in points} == set(COLUMNS[1:])


def test_every_byte_appended_one_at_a_time() -> None:
    data = modern(TABLE[:6])
    reference = read_once(UltralyticsResultsSource, data)
    grown = follow(UltralyticsResultsSource, [data[:i] for i in range(len(data) + 1)])
    assert grown.metrics == reference
    assert triples(reference) == expected(TABLE[:6], ".6g")


@settings(max_examples=80, deadline=None)
@given(
    cuts=st.lists(st.integers(0, 10**9), max_size=40),
    chunk=st.sampled_from([CHUNK_BYTES, 300, 1000]),
)
def test_growing_file_exactly_once(cuts: list[int], chunk: int) -> None:
    factory = partial(UltralyticsResultsSource, chunk_bytes=chunk)
    grown = follow(factory, prefixes(DATA, [c % (len(DATA) + 1) for c in cuts]))
    assert triples(grown.metrics) == expected(TABLE, ".6g")


def test_bad_rows_are_skipped() -> None:
    data = (
        b"epoch,time,train/box_loss\n"
        b"1,10,0.5\n"
        b"oops,11,0.6\n"  # no epoch: the row is skipped
        b"\n"
        b"2,nope,0.7,99\n"  # bad cell skipped, extra cell ignored
        b"\xff\xfe,\x00\n"
        b'"3,12,0.8\n'  # unterminated quote
        b"4,13\n"  # short row
        b"5.0,14,nan\n"
    )
    points = read_once(UltralyticsResultsSource, data)
    assert [(p.name, p.value, p.epoch) for p in points[:3]] == [
        ("time", 10.0, 1),
        ("train/box_loss", 0.5, 1),
        ("train/box_loss", 0.7, 2),
    ]
    assert [(p.name, p.epoch) for p in points[3:]] == [
        ("time", 4),
        ("time", 5),
        ("train/box_loss", 5),
    ]


def test_truncated_file_restarts_from_zero() -> None:
    """Shorter than the saved offset: replaced by a new training, its rows are new."""
    follower = Follower(UltralyticsResultsSource)
    follower.poll(modern(TABLE[:5]))
    assert len(follower.metrics) == 5 * 14
    new = modern(rows(2, seed=7))
    follower.poll(new)
    assert triples(follower.metrics[5 * 14 :]) == expected(rows(2, seed=7), ".6g")


def test_replaced_by_a_file_with_another_header_restarts() -> None:
    follower = Follower(UltralyticsResultsSource)
    first = modern(TABLE[:2])
    follower.poll(first)
    other = b"epoch,time,other\n" + b"".join(b"%d,%d,%d\n" % (e, e, e) for e in range(1, 200))
    follower.poll(other)
    new = follower.metrics[2 * 14 :]
    assert [p.epoch for p in new if p.name == "other"] == list(range(1, 200))


def test_header_only_then_rows() -> None:
    header = (",".join(COLUMNS) + "\n").encode()
    source = UltralyticsResultsSource()
    assert source.poll(bytes_reader(header[:10]), 10, eof=True).metrics == []
    assert source.state()["header"] is None
    assert source.poll(bytes_reader(header), len(header), eof=False).metrics == []
    assert source.state()["offset"] == len(header)


@settings(max_examples=300, deadline=None)
@given(
    head=st.sampled_from([b"", b"epoch,a,b\n", (",".join(COLUMNS) + "\n").encode()]),
    data=st.binary(max_size=500),
    eof=st.booleans(),
    chunk=st.sampled_from([CHUNK_BYTES, 8]),
)
def test_random_bytes_never_raise(head: bytes, data: bytes, eof: bool, chunk: int) -> None:
    follower = Follower(partial(UltralyticsResultsSource, chunk_bytes=chunk))
    follower.poll(head + data, eof=eof)
    assert all(isinstance(p.value, float) for p in follower.metrics)
    follower.poll(data, eof=eof)  # and then replaced by the garbage alone
    assert 0 <= follower.state["offset"] <= len(data)
