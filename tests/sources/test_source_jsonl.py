"""metrics.jsonl: the writer (standalone) and the incremental reader."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tuitrain
from tuitrain.metrics import MetricPoint, Progress
from tuitrain.sources.base import CHUNK_BYTES
from tuitrain.sources.jsonl import JsonlMetricsSource, parse_record

from .util import Follower, bytes_reader, file_reader, follow, prefixes, random_cuts, read_once

EMIT = Path(tuitrain.__file__).parent / "runners" / "emit.py"


def load_emit() -> object:
    import importlib.util

    spec = importlib.util.spec_from_file_location("standalone_emit", EMIT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def values(points: list[MetricPoint]) -> list[tuple[str, float, int | None, int | None]]:
    return [(p.name, p.value, p.step, p.epoch) for p in points]


# --- the writer -------------------------------------------------------------------


def test_writer_runs_standalone_without_site_packages(tmp_path: Path) -> None:
    """emit.py is loaded by file path in a Python without tuitrain (or anything) installed."""
    target = tmp_path / "run" / "metrics.jsonl"
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('emit', {str(EMIT)!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "assert not any(k.startswith('tuitrain') for k in sys.modules)\n"
        f"with m.MetricsWriter({str(target)!r}) as w:\n"
        "    w.log({'train/loss': 0.5, 'lr/pg0': 0.001}, step=12, epoch=1,\n"
        "          progress={'epoch': 1, 'total_epochs': 2, 'step': 3, 'total_steps': 4})\n"
    )
    proc = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    data = target.read_bytes()
    assert data.endswith(b"\n") and data.count(b"\n") == 1
    record = json.loads(data)
    assert record["metrics"] == {"train/loss": 0.5, "lr/pg0": 0.001}
    assert (record["step"], record["epoch"]) == (12, 1)
    assert record["progress"] == {"epoch": 1, "total_epochs": 2, "step": 3, "total_steps": 4}
    assert isinstance(record["t"], float)


def test_writer_then_reader_exact(tmp_path: Path) -> None:
    emit = load_emit()
    path = tmp_path / "metrics.jsonl"
    writer = emit.MetricsWriter(path)  # type: ignore[attr-defined]
    writer.log(
        {"train/loss": 0.5, "lr/pg0": 0.001},
        step=12,
        epoch=1,
        progress={"epoch": 1, "total_epochs": 2, "step": 3, "total_steps": 4},
    )
    # numpy scalars convert; strings and multi-element arrays are left out, not fatal.
    writer.log({"val/acc": np.float32(0.25), "bad": "x", "vec": np.array([1.0, 2.0])}, step=13)
    writer.log({}, progress={"step": 5, "total_steps": 10, "rate": 2.5, "eta_s": 3.0})
    writer.log({})  # nothing to say: no line
    writer.log({"train/loss": float("inf")}, step=np.int64(14))
    writer.close()
    assert path.read_bytes().count(b"\n") == 4

    follower = Follower(JsonlMetricsSource)
    follower.poll(path.read_bytes(), eof=False, read_at=file_reader(path))
    assert values(follower.metrics) == [
        ("train/loss", 0.5, 12, 1),
        ("lr/pg0", 0.001, 12, 1),
        ("val/acc", 0.25, 13, None),
        ("train/loss", math.inf, 14, None),
    ]
    assert all(p.wall_time is not None and p.wall_time > 1e9 for p in follower.metrics)
    # One poll read everything; the batch reports the last progress seen.
    assert follower.progress == [Progress(step=5, total_steps=10, rate=2.5, eta_s=3.0)]


def test_writer_starts_a_fresh_line_after_a_torn_record(tmp_path: Path) -> None:
    emit = load_emit()
    path = tmp_path / "metrics.jsonl"
    path.write_bytes(b'{"step": 1, "metrics": {"a": 1}}\n{"step": 2, "metr')  # writer killed
    with emit.MetricsWriter(path) as writer:  # type: ignore[attr-defined]
        writer.log({"a": 3.0}, step=3)
    points = read_once(JsonlMetricsSource, path.read_bytes(), eof=False)
    assert values(points) == [("a", 1.0, 1, None), ("a", 3.0, 3, None)]


# --- the reader -------------------------------------------------------------------


def make_file(seed: int = 0, records: int = 60) -> tuple[bytes, list[tuple[str, float, int, int]]]:
    """A metrics.jsonl with good records and garbage between them, and what it holds."""
    import random

    rng = random.Random(seed)
    garbage = [
        b"{not json",
        b"[1, 2, 3]",
        b'"just a string"',
        b"null",
        b"",
        b"   ",
        b'{"metrics": {"s": "x", "b": true, "n": null, "o": {"x": 1}}}',
        b'{"metrics": [1, 2]}',
        b"\xff\xfe{\x00",
        b"[" * 5000,
        b'{"step": "x", "epoch": 1.5, "progress": {"epoch": "a"}}',
    ]
    lines: list[bytes] = []
    expected: list[tuple[str, float, int, int]] = []
    for i in range(records):
        names = rng.sample(["train/loss", "val/loss", "lr/pg0", "mAP50", "损失"], rng.randint(1, 4))
        metrics = {name: round(rng.uniform(-5, 5), 6) for name in names}
        record = {"t": 1732300000.0 + i, "step": i * 10, "epoch": i // 7 + 1, "metrics": metrics}
        if i % 5 == 0:
            record["progress"] = {
                "epoch": i // 7 + 1,
                "total_epochs": 9,
                "step": i % 7,
                "total_steps": 7,
            }
        lines.append(json.dumps(record, ensure_ascii=rng.random() < 0.5).encode())
        expected += [(name, value, i * 10, i // 7 + 1) for name, value in metrics.items()]
        if rng.random() < 0.3:
            lines.append(rng.choice(garbage))
    ends = [b"\n" if rng.random() < 0.7 else b"\r\n" for _ in lines]
    data = b"".join(line + end for line, end in zip(lines, ends, strict=True))
    return data, expected


DATA, EXPECTED = make_file()


def test_complete_file_read_once() -> None:
    follower = Follower(JsonlMetricsSource)
    follower.poll(DATA, eof=False)
    assert values(follower.metrics) == EXPECTED
    assert all(p.wall_time is not None for p in follower.metrics)
    assert follower.progress == [
        Progress(epoch=8, total_epochs=9, step=6, total_steps=7)
    ]  # record 55


def test_every_byte_appended_one_at_a_time() -> None:
    data = DATA[:3000]
    reference = read_once(JsonlMetricsSource, data)
    assert len(reference) > 20
    grown = follow(JsonlMetricsSource, [data[:i] for i in range(len(data) + 1)])
    assert grown.metrics == reference


@settings(max_examples=80, deadline=None)
@given(
    cuts=st.lists(st.integers(0, 10**9), max_size=60),
    chunk=st.sampled_from([CHUNK_BYTES, 64, 150, 1000]),
)
def test_growing_file_exactly_once(cuts: list[int], chunk: int) -> None:
    factory = partial(JsonlMetricsSource, chunk_bytes=chunk)
    reference = read_once(factory, DATA)
    cut_points = [c % (len(DATA) + 1) for c in cuts]
    grown = follow(factory, prefixes(DATA, cut_points))
    assert grown.metrics == reference
    if chunk == CHUNK_BYTES:
        assert values(reference) == EXPECTED


def test_small_reads_report_more_and_lose_nothing() -> None:
    follower = Follower(partial(JsonlMetricsSource, chunk_bytes=400))
    follower.poll(DATA)
    assert follower.polls > len(DATA) // 400
    assert values(follower.metrics) == EXPECTED  # every line here is shorter than 400


def test_partial_line_waits_until_complete_or_writer_gone() -> None:
    line = b'{"step": 1, "metrics": {"a": 2.5}}'
    source = JsonlMetricsSource()
    batch = source.poll(bytes_reader(line), len(line), eof=False)
    assert batch.metrics == [] and source.state()["offset"] == 0 and not batch.more
    batch = source.poll(bytes_reader(line), len(line), eof=True)
    assert values(batch.metrics) == [("a", 2.5, 1, None)]
    assert source.state()["offset"] == len(line)


def test_over_long_line_is_dropped_and_reading_goes_on() -> None:
    long_line = json.dumps({"metrics": {f"m{i}": i for i in range(100)}}).encode()
    data = b'{"metrics": {"a": 1}}\n' + long_line + b'\n{"metrics": {"b": 2}}\n'
    factory = partial(JsonlMetricsSource, chunk_bytes=100)
    assert [p.name for p in read_once(factory, data)] == ["a", "b"]
    grown = follow(factory, prefixes(data, random_cuts(data, 1, 30)))
    assert [p.name for p in grown.metrics] == ["a", "b"]
    # With the default read size the long line is an ordinary record.
    assert len(read_once(JsonlMetricsSource, data)) == 102


def test_nan_and_infinity_are_kept() -> None:
    points, _ = parse_record(b'{"metrics": {"a": NaN, "b": -Infinity, "c": 1e999}}')
    assert [p.name for p in points] == ["a", "b", "c"]
    assert math.isnan(points[0].value) and points[1].value == -math.inf
    assert points[2].value == math.inf


def test_truncated_file_restarts_from_zero() -> None:
    """A file shorter than the saved offset was replaced: its records are all new."""
    old = b'{"metrics": {"a": 1}}\n{"metrics": {"a": 2}}\n'
    new = b'{"metrics": {"b": 3}}\n'
    follower = Follower(JsonlMetricsSource)
    follower.poll(old)
    follower.poll(new)
    assert [(p.name, p.value) for p in follower.metrics] == [("a", 1.0), ("a", 2.0), ("b", 3.0)]
    assert follower.state["offset"] == len(new)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=600), eof=st.booleans(), chunk=st.sampled_from([CHUNK_BYTES, 16]))
def test_random_bytes_never_raise(data: bytes, eof: bool, chunk: int) -> None:
    follower = Follower(partial(JsonlMetricsSource, chunk_bytes=chunk))
    follower.poll(data, eof=eof)
    assert all(isinstance(p, MetricPoint) and isinstance(p.value, float) for p in follower.metrics)
    assert 0 <= follower.state["offset"] <= len(data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    record=st.dictionaries(
        st.sampled_from(["t", "step", "epoch", "metrics", "progress", "x"]),
        json_values | st.dictionaries(st.text(max_size=5), json_values, max_size=4),
    )
)
def test_odd_json_records_never_raise(record: dict[str, object]) -> None:
    points, progress = parse_record(json.dumps(record).encode())
    for p in points:
        assert isinstance(p.value, float) and p.name
        assert p.step is None or isinstance(p.step, int)
    assert progress is None or isinstance(progress, Progress)


@pytest.mark.parametrize("state", [{}, {"offset": -5}, {"offset": "x", "skipping": 3}])
def test_bad_state_is_tolerated(state: dict[str, object]) -> None:
    source = JsonlMetricsSource()
    source.restore(state)
    batch = source.poll(bytes_reader(b'{"metrics": {"a": 1}}\n'), 22, eof=False)
    assert [p.name for p in batch.metrics] == ["a"]
