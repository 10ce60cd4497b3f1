"""TensorBoard event files, written by tensorboardX and read without it."""

from __future__ import annotations

import random
import struct
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tensorboardX import SummaryWriter
from tensorboardX.crc32c import crc32c as reference_crc32c
from tensorboardX.proto.event_pb2 import Event
from tensorboardX.proto.summary_pb2 import Summary, SummaryMetadata
from tensorboardX.proto.tensor_pb2 import TensorProto
from tensorboardX.proto.tensor_shape_pb2 import TensorShapeProto
from tensorboardX.record_writer import RecordWriter

from tuitrain.metrics import MetricPoint
from tuitrain.sources import tensorboard
from tuitrain.sources.base import CHUNK_BYTES
from tuitrain.sources.tensorboard import TensorBoardEventSource, crc32c, parse_event, tfrecord

from .util import Follower, bytes_reader, file_reader, follow, prefixes, read_once

WALL = 1732300000.0
SCALAR_TAGS = ["train/loss", "validation", "fidelity_95", "fidelity_99"]


def f32(x: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", x))[0])


def event_file(folder: Path) -> Path:
    (path,) = folder.glob("events.out.tfevents.*")
    return path


def scalars_metadata() -> SummaryMetadata:
    return SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name="scalars"))


def tensor_value(tag: str, tensor: TensorProto, plugin: str | None = "scalars") -> Summary:
    if plugin is None:
        return Summary(value=[Summary.Value(tag=tag, tensor=tensor)])
    meta = SummaryMetadata(plugin_data=SummaryMetadata.PluginData(plugin_name=plugin))
    return Summary(value=[Summary.Value(tag=tag, tensor=tensor, metadata=meta)])


SCALAR_SHAPE = TensorShapeProto()
ONE = TensorShapeProto(dim=[TensorShapeProto.Dim(size=1)])


def write_run(folder: Path, steps: int = 12, seed: int = 0) -> list[MetricPoint]:
    """Scalars of every encoding RAVE/Lightning/torch write, plus non-scalars; the
    scalars expected back, in file order."""
    rng = random.Random(seed)
    expected: list[MetricPoint] = []
    writer = SummaryWriter(logdir=str(folder), flush_secs=3600)
    fw = writer._get_file_writer()
    for step in range(steps):
        wall = WALL + step * 0.5
        for tag in SCALAR_TAGS:  # old style: simple_value
            value = rng.uniform(-3, 3)
            writer.add_scalar(tag, value, step, walltime=wall)
            expected.append(MetricPoint(tag, f32(value), step, None, wall))
        # new style: one-element tensors, as torch.utils.tensorboard new_style / TF2 write
        x = rng.uniform(0, 1)
        forms: list[tuple[str, TensorProto, float]] = [
            (
                "new/float_val",
                TensorProto(dtype=1, float_val=[x], tensor_shape=SCALAR_SHAPE),
                f32(x),
            ),
            ("new/double_val", TensorProto(dtype=2, double_val=[x], tensor_shape=SCALAR_SHAPE), x),
            (
                "new/content_f32",
                TensorProto(
                    dtype=1, tensor_content=struct.pack("<f", x), tensor_shape=SCALAR_SHAPE
                ),
                f32(x),
            ),
            (
                "new/content_f64",
                TensorProto(dtype=2, tensor_content=struct.pack("<d", x), tensor_shape=ONE),
                x,
            ),
            (
                "new/half",
                TensorProto(dtype=19, half_val=[int(np.float16(x).view(np.uint16))]),
                float(np.float16(x)),
            ),
            ("new/int64", TensorProto(dtype=9, int64_val=[-step - 1]), float(-step - 1)),
        ]
        for tag, tensor, value in forms:
            fw.add_summary(tensor_value(tag, tensor), step, wall)
            expected.append(MetricPoint(tag, value, step, None, wall))
        # no metadata at all (later events of a series may omit it): still a scalar
        fw.add_summary(
            tensor_value("new/bare", TensorProto(dtype=1, float_val=[x]), None), step, wall
        )
        expected.append(MetricPoint("new/bare", f32(x), step, None, wall))
        # not scalars
        fw.add_summary(
            tensor_value(
                "pair",
                TensorProto(
                    dtype=1,
                    float_val=[1, 2],
                    tensor_shape=TensorShapeProto(dim=[TensorShapeProto.Dim(size=2)]),
                ),
            ),
            step,
            wall,
        )
        fw.add_summary(
            tensor_value("h1", TensorProto(dtype=1, float_val=[1.0]), "histograms"), step, wall
        )
        writer.add_text("note", f"step {step}", step, walltime=wall)
        writer.add_histogram("weights", np.arange(50, dtype=np.float32), step, walltime=wall)
    writer.flush()
    writer.close()
    return expected


@pytest.fixture(scope="module")
def run_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, list[MetricPoint]]:
    folder = tmp_path_factory.mktemp("tb")
    expected = write_run(folder)
    return event_file(folder).read_bytes(), expected


def test_crc32c_matches_the_reference() -> None:
    assert crc32c(b"123456789") == 0xE3069283
    rng = random.Random(1)
    for n in (0, 1, 7, 100, 1000):
        data = bytes(rng.randrange(256) for _ in range(n))
        assert crc32c(data) == reference_crc32c(data)


def test_complete_file_read_once(tmp_path: Path) -> None:
    expected = write_run(tmp_path)
    path = event_file(tmp_path)
    follower = Follower(TensorBoardEventSource)
    follower.poll(path.read_bytes(), eof=True, read_at=file_reader(path))
    assert follower.metrics == expected
    assert follower.progress == []
    assert follower.state == {"offset": path.stat().st_size}


def test_add_scalars_writes_one_file_per_sub_tag(tmp_path: Path) -> None:
    writer = SummaryWriter(logdir=str(tmp_path))
    for step in range(3):
        writer.add_scalars("loss", {"train": step + 0.5, "val": step + 0.25}, step, walltime=WALL)
    writer.add_scalar("plain", 1.5, 0, walltime=WALL)
    writer.close()
    files = sorted(tmp_path.rglob("events.out.tfevents.*"))
    found = {
        str(p.parent.relative_to(tmp_path)): read_once(TensorBoardEventSource, p.read_bytes())
        for p in files
    }
    assert found == {
        ".": [MetricPoint("plain", 1.5, 0, None, WALL)],
        "loss/train": [MetricPoint("loss", s + 0.5, s, None, WALL) for s in range(3)],
        "loss/val": [MetricPoint("loss", s + 0.25, s, None, WALL) for s in range(3)],
    }


def test_hand_encoded_variants(tmp_path: Path) -> None:
    """Unpacked float_val, negative steps, a missing step (0) and a missing wall time."""

    def varint(n: int) -> bytes:
        n &= (1 << 64) - 1
        out = b""
        while True:
            byte, n = n & 0x7F, n >> 7
            if n:
                out += bytes([byte | 0x80])
            else:
                return out + bytes([byte])

    def ld(field: int, payload: bytes) -> bytes:
        return varint(field << 3 | 2) + varint(len(payload)) + payload

    tensor = varint(1 << 3) + varint(1) + varint(5 << 3 | 5) + struct.pack("<f", 0.5)  # unpacked
    value = ld(1, b"unpacked") + ld(8, tensor)
    event1 = (
        varint(1 << 3 | 1)
        + struct.pack("<d", WALL)
        + varint(2 << 3)
        + varint(-3)
        + ld(5, ld(1, value))
    )
    simple = ld(1, b"s") + varint(2 << 3 | 5) + struct.pack("<f", 2.0)
    event2 = ld(5, ld(1, simple))  # no step, no wall time
    path = tmp_path / "events.out.tfevents.1.host"
    rw = RecordWriter(str(path))
    rw.write(Event(wall_time=WALL, file_version="brain.Event:2").SerializeToString())
    rw.write(event1)
    rw.write(event2)
    rw.close()
    assert read_once(TensorBoardEventSource, path.read_bytes()) == [
        MetricPoint("unpacked", 0.5, -3, None, WALL),
        MetricPoint("s", 2.0, 0, None, None),
    ]
    assert tfrecord(event1) in path.read_bytes()


def test_every_byte_appended_one_at_a_time(run_file: tuple[bytes, list[MetricPoint]]) -> None:
    data, expected = run_file
    data = data[:2500]
    reference = read_once(TensorBoardEventSource, data)
    assert reference == expected[: len(reference)] and len(reference) > 10
    grown = follow(TensorBoardEventSource, [data[:i] for i in range(len(data) + 1)], eof=False)
    assert grown.metrics == reference


@settings(max_examples=60, deadline=None)
@given(
    cuts=st.lists(st.integers(0, 10**9), max_size=50),
    chunk=st.sampled_from([CHUNK_BYTES, 64, 100, 1000]),
)
def test_growing_file_exactly_once(
    run_file: tuple[bytes, list[MetricPoint]], cuts: list[int], chunk: int
) -> None:
    data, expected = run_file
    grown = follow(
        partial(TensorBoardEventSource, chunk_bytes=chunk),
        prefixes(data, [c % (len(data) + 1) for c in cuts]),
    )
    assert grown.metrics == expected


def test_incomplete_record_waits_even_at_eof(run_file: tuple[bytes, list[MetricPoint]]) -> None:
    data, _ = run_file
    source = TensorBoardEventSource()
    first = source.poll(bytes_reader(data[:-3]), len(data) - 3, eof=True)
    offset = source.state()["offset"]
    assert 0 < offset < len(data) - 3 and not first.more
    last = source.poll(bytes_reader(data), len(data), eof=True)
    assert source.state()["offset"] == len(data)
    assert len(last.metrics) == 0  # the last record is a histogram


def test_records_larger_than_a_read_are_read_alone(tmp_path: Path) -> None:
    writer = SummaryWriter(logdir=str(tmp_path))
    tag = "t" * 300
    writer.add_scalar(tag, 1.0, 1, walltime=WALL)
    writer.add_scalar("short", 2.0, 2, walltime=WALL)
    writer.close()
    data = event_file(tmp_path).read_bytes()
    follower = Follower(partial(TensorBoardEventSource, chunk_bytes=64))
    follower.poll(data)
    assert follower.metrics == [
        MetricPoint(tag, 1.0, 1, None, WALL),
        MetricPoint("short", 2.0, 2, None, WALL),
    ]
    assert follower.polls >= 3


def test_huge_records_are_skipped_unread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tensorboard, "MAX_DECODE_BYTES", 500)
    writer = SummaryWriter(logdir=str(tmp_path))
    writer.add_scalar("before", 1.0, 1, walltime=WALL)
    writer.add_histogram("big", np.random.default_rng(0).normal(size=10_000), 1, walltime=WALL)
    writer.add_scalar("after", 2.0, 2, walltime=WALL)
    writer.close()
    data = event_file(tmp_path).read_bytes()
    reads: list[tuple[int, int]] = []

    def read_at(offset: int, size: int) -> bytes:
        reads.append((offset, size))
        return data[offset : offset + size]

    follower = Follower(partial(TensorBoardEventSource, chunk_bytes=200))
    follower.poll(data, read_at=read_at)
    assert [p.name for p in follower.metrics] == ["before", "after"]
    assert sum(size for _, size in reads) < 1200  # the histogram (> 500 bytes) was never read


def test_corruption_is_skipped(run_file: tuple[bytes, list[MetricPoint]]) -> None:
    data, expected = run_file
    records = split_records(data)
    scalar_records = [i for i, r in enumerate(records) if parse_event(r[12:-4])]
    k = scalar_records[5]
    lost = parse_event(records[k][12:-4])
    kept = [p for p in expected if p not in lost]

    bad_data = bytearray(data)  # a flipped bit in the data: that record is dropped
    start = sum(map(len, records[:k]))
    bad_data[start + 20] ^= 0x10
    assert read_once(TensorBoardEventSource, bytes(bad_data)) == kept

    bad_length = bytearray(data)  # a flipped bit in the length: resynchronise after it
    bad_length[start + 1] ^= 0x01
    assert read_once(TensorBoardEventSource, bytes(bad_length)) == kept

    rng = random.Random(3)  # garbage between records, also seen while it grows
    garbage = bytes(rng.randrange(256) for _ in range(333))
    spliced = data[:start] + garbage + data[start:]
    assert read_once(TensorBoardEventSource, spliced) == expected
    grown = follow(
        TensorBoardEventSource, prefixes(spliced, [rng.randrange(len(spliced)) for _ in range(40)])
    )
    assert grown.metrics == expected


def split_records(data: bytes) -> list[bytes]:
    out = []
    pos = 0
    while pos < len(data):
        (length,) = struct.unpack("<Q", data[pos : pos + 8])
        out.append(data[pos : pos + 16 + length])
        pos += 16 + length
    return out


def test_truncated_file_restarts_from_zero(tmp_path: Path) -> None:
    """Shorter than the saved offset: a different file now, read from the start."""
    old = tmp_path / "old"
    new = tmp_path / "new"
    write_run(old, steps=3)
    writer = SummaryWriter(logdir=str(new))
    writer.add_scalar("fresh", 4.0, 7, walltime=WALL)
    writer.close()
    follower = Follower(TensorBoardEventSource)
    follower.poll(event_file(old).read_bytes())
    before = len(follower.metrics)
    follower.poll(event_file(new).read_bytes())
    assert follower.metrics[before:] == [MetricPoint("fresh", 4.0, 7, None, WALL)]


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=400), eof=st.booleans(), chunk=st.sampled_from([CHUNK_BYTES, 64]))
def test_random_bytes_never_raise(data: bytes, eof: bool, chunk: int) -> None:
    follower = Follower(partial(TensorBoardEventSource, chunk_bytes=chunk))
    follower.poll(data, eof=eof)
    assert 0 <= follower.state["offset"] <= len(data)


@settings(max_examples=200, deadline=None)
@given(
    edits=st.lists(st.tuples(st.integers(0, 10**9), st.integers(0, 255)), min_size=1, max_size=8),
    framed=st.booleans(),
)
def test_mutated_files_never_raise(
    run_file: tuple[bytes, list[MetricPoint]], edits: list[tuple[int, int]], framed: bool
) -> None:
    data = bytearray(run_file[0][:3000])
    for pos, byte in edits:
        data[pos % len(data)] = byte
    if framed:  # corrupt protobuf inside valid framing: decoding must fail softly
        payload = bytes(data[:200])
        for cut in range(0, len(payload), 7):
            assert isinstance(parse_event(payload[cut:]), list)
        data = bytearray(tfrecord(payload) + bytes(data))
    points = read_once(TensorBoardEventSource, bytes(data))
    assert all(isinstance(p.value, float) and isinstance(p.name, str) for p in points)


def test_long_garbage_is_searched_over_several_polls(
    run_file: tuple[bytes, list[MetricPoint]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tensorboard, "MAX_SCAN_BYTES", 50)
    data, expected = run_file
    rng = random.Random(5)
    spliced = bytes(rng.randrange(256) for _ in range(1000)) + data
    follower = Follower(TensorBoardEventSource)
    follower.poll(spliced)
    assert follower.metrics == expected
    assert follower.polls >= 1000 // 50
