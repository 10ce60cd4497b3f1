"""Lightning CSVLogger metrics.csv, including its whole-file rewrites."""

from __future__ import annotations

import csv
import itertools
import random
from collections import Counter
from functools import partial
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tuitrain.metrics import MetricPoint
from tuitrain.sources.base import CHUNK_BYTES
from tuitrain.sources.lightning_csv import LightningCsvSource

from .util import Follower, bytes_reader, file_reader, follow, read_once


class ExperimentWriter:
    """Lightning's ``_ExperimentWriter`` (lightning_fabric/loggers/csv_logs.py), same
    file handling; ``sort_keys`` as in 2.x (``False``: newer insertion-order keys).
    ``snapshots`` holds the file after every rewrite and every append."""

    def __init__(self, path: Path, sort_keys: bool = True) -> None:
        self.path = path
        self.sort_keys = sort_keys
        self.metrics: list[dict[str, object]] = []
        self.metrics_keys: list[str] = []
        self.snapshots: list[bytes] = []

    def log_metrics(self, metrics: dict[str, object], step: int) -> None:
        self.metrics.append({**metrics, "step": step})

    def save(self) -> None:
        if not self.metrics:
            return
        new_keys = self._record_new_keys()
        file_exists = self.path.is_file()
        if new_keys and file_exists:
            self._rewrite_with_new_header(self.metrics_keys)
            self.snapshots.append(self.path.read_bytes())
        with open(self.path, "a" if file_exists else "w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=self.metrics_keys)
            if not file_exists:
                writer.writeheader()
            writer.writerows(self.metrics)
        self.metrics = []
        self.snapshots.append(self.path.read_bytes())

    def _record_new_keys(self) -> set[str]:
        current = list(dict.fromkeys(k for m in self.metrics for k in m))
        new_keys = [k for k in current if k not in self.metrics_keys]
        self.metrics_keys.extend(new_keys)
        if self.sort_keys:
            self.metrics_keys.sort()
        return set(new_keys)

    def _rewrite_with_new_header(self, fieldnames: list[str]) -> None:
        with open(self.path, newline="") as file:
            metrics = list(csv.DictReader(file))
        with open(self.path, "w", newline="") as file:
            writer = csv.DictWriter(file, fieldnames=fieldnames)
            writer.writeheader()
            writer.writerows(metrics)


Logged = list[tuple[str, float, int, int]]


def simulate(path: Path, sort_keys: bool = True, seed: int = 0) -> tuple[ExperimentWriter, Logged]:
    """A short training: train loss every step, validation at epoch ends, the learning
    rate only from epoch 2 and a test metric at the very end (three header rewrites)."""
    rng = random.Random(seed)
    writer = ExperimentWriter(path, sort_keys)
    logged: Logged = []
    step = 0
    for epoch in range(4):
        for _ in range(7):
            metrics: dict[str, float] = {"train_loss": round(rng.uniform(0, 2), 5)}
            if epoch >= 2:
                metrics["lr-Adam"] = 0.001 / (step + 1)
            writer.log_metrics({**metrics, "epoch": epoch}, step)
            logged += [(k, v, step, epoch) for k, v in metrics.items()]
            step += 1
            if step % 3 == 0:
                writer.save()  # flush_logs_every_n_steps=3
        val = {"val_loss": rng.uniform(0, 2), "val_acc": rng.uniform(0, 1)}
        writer.log_metrics({**val, "epoch": epoch}, step - 1)
        logged += [(k, v, step - 1, epoch) for k, v in val.items()]
    writer.save()
    writer.log_metrics({"test_acc": 0.5, "epoch": 3}, step - 1)
    logged.append(("test_acc", 0.5, step - 1, 3))
    writer.save()
    return writer, logged


def states_between(before: bytes, after: bytes, cuts: list[int]) -> list[bytes]:
    """What a reader may see while ``before`` becomes ``after``: growing prefixes for
    an append, truncation then growing prefixes for a rewrite."""
    if after.startswith(before):
        points = sorted({len(before) + c % (len(after) - len(before) + 1) for c in cuts})
        return [after[:p] for p in points] + [after]
    points = sorted({c % (len(after) + 1) for c in cuts})
    return [b""] + [after[:p] for p in points] + [after]


def key(points: list[MetricPoint]) -> Counter[tuple[str, int | None]]:
    return Counter((p.name, p.step) for p in points)


def test_complete_file_read_once(tmp_path: Path) -> None:
    writer, logged = simulate(tmp_path / "metrics.csv")
    data = writer.path.read_bytes()
    assert data.splitlines()[0] == b"epoch,lr-Adam,step,test_acc,train_loss,val_acc,val_loss"
    follower = Follower(LightningCsvSource)
    follower.poll(data, read_at=file_reader(writer.path))
    got = [(p.name, p.value, p.step, p.epoch) for p in follower.metrics]
    assert sorted(got) == sorted(logged)
    assert len(got) == len(logged)
    assert follower.progress == []
    assert follower.state["done"] == follower.state["rows"] == 4 * 8 + 1


def test_rewrite_between_polls_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    writer, logged = simulate(tmp_path / "metrics.csv")
    pairs = itertools.pairwise(writer.snapshots)
    assert sum(not after.startswith(before) for before, after in pairs) == 3  # rewrites
    grown = follow(LightningCsvSource, writer.snapshots)
    assert key(grown.metrics) == Counter((name, step) for name, _v, step, _e in logged)
    assert grown.metrics == read_once(LightningCsvSource, writer.snapshots[-1])


@settings(max_examples=60, deadline=None)
@given(
    sort_keys=st.booleans(),
    cuts=st.lists(st.lists(st.integers(0, 10**9), max_size=4), min_size=40, max_size=40),
    chunk=st.sampled_from([CHUNK_BYTES, 120, 500]),
)
def test_growing_and_rewritten_file_exactly_once(
    sort_keys: bool, cuts: list[list[int]], chunk: int
) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        writer, logged = simulate(Path(folder) / "metrics.csv", sort_keys)
    states: list[bytes] = []
    before = b""
    for i, snap in enumerate(writer.snapshots):
        states += states_between(before, snap, cuts[i % len(cuts)])
        before = snap
    factory = partial(LightningCsvSource, chunk_bytes=chunk)
    grown = follow(factory, states)
    assert grown.metrics == read_once(factory, writer.snapshots[-1])
    assert key(grown.metrics) == Counter((name, step) for name, _v, step, _e in logged)


def test_rewrite_seen_half_way_waits_then_skips_what_was_read() -> None:
    old = b"epoch,step,train_loss\r\n0,0,1.0\r\n0,1,0.9\r\n"
    new = b"epoch,step,train_loss,val_loss\r\n0,0,1.0,\r\n0,1,0.9,\r\n0,1,,0.8\r\n"
    follower = Follower(LightningCsvSource)
    follower.poll(old)
    assert [p.value for p in follower.metrics] == [1.0, 0.9]
    saved = dict(follower.state)
    follower.poll(new[:10])  # truncated, header not complete: wait, state unchanged
    assert follower.state == saved
    follower.poll(new[:45])  # new header and one old row: skipped
    assert len(follower.metrics) == 2 and follower.state["rows"] == 1
    follower.poll(new)
    assert [(p.name, p.value, p.step) for p in follower.metrics[2:]] == [("val_loss", 0.8, 1)]
    assert follower.state["done"] == 3


def test_header_check_after_read_discards_rows_of_a_rewritten_file() -> None:
    """The file is rewritten between the read of the rows and the header check."""
    old = b"epoch,step,a\r\n0,0,1\r\n"
    grown = old + b"0,1,2\r\n"
    new = b"a,b,epoch,step\r\n1,,0,0\r\n2,,0,1\r\n,5,0,1\r\n"
    source = LightningCsvSource()
    source.poll(bytes_reader(old), len(old), eof=False)

    def racing_read(offset: int, size: int) -> bytes:
        data = grown if offset > 0 else new  # rows from before, header from after
        return data[offset : offset + size]

    batch = source.poll(racing_read, len(new), eof=False)
    assert [(p.name, p.value, p.step) for p in batch.metrics] == [("a", 2.0, 1), ("b", 5.0, 1)]
    assert source.state()["done"] == 3


def test_sparse_cells_and_garbage() -> None:
    data = (
        b"epoch,step,train_loss,val_loss\r\n"
        b"0,9,0.5,\r\n"
        b"\r\n"  # blank: not a row
        b"0,19,,0.25\r\n"
        b"x,\xff,0.1,zz\r\n"  # bad epoch/step: metrics kept with None, bad cell skipped
        b'0,29,"0.3",nan\r\n'
    )
    points = read_once(LightningCsvSource, data)
    assert [(p.name, p.value, p.step, p.epoch) for p in points[:3]] == [
        ("train_loss", 0.5, 9, 0),
        ("val_loss", 0.25, 19, 0),
        ("train_loss", 0.1, None, None),
    ]
    assert [(p.name, p.step) for p in points[3:]] == [("train_loss", 29), ("val_loss", 29)]


def test_truncated_with_the_same_header_restarts_from_zero() -> None:
    """Same header but shorter than the offset: a new run replaced the file (Lightning
    deletes metrics.csv when a version folder is reused); its rows are all new."""
    old = b"epoch,step,a\r\n" + b"".join(b"0,%d,%d\r\n" % (i, i) for i in range(10))
    new = b"epoch,step,a\r\n0,0,100\r\n"
    follower = Follower(LightningCsvSource)
    follower.poll(old)
    follower.poll(new)
    assert [p.value for p in follower.metrics] == [float(i) for i in range(10)] + [100.0]
    assert follower.state["done"] == 1


@settings(max_examples=300, deadline=None)
@given(
    head=st.sampled_from([b"", b"epoch,step,a\r\n", b"a,b\n"]),
    data=st.binary(max_size=500),
    more=st.binary(max_size=100),
    eof=st.booleans(),
    chunk=st.sampled_from([CHUNK_BYTES, 8]),
)
def test_random_bytes_never_raise(
    head: bytes, data: bytes, more: bytes, eof: bool, chunk: int
) -> None:
    follower = Follower(partial(LightningCsvSource, chunk_bytes=chunk))
    follower.poll(head + data)
    follower.poll(more + data, eof=eof)  # rewritten with anything
    assert all(isinstance(p.value, float) for p in follower.metrics)
    # (a file that lost its header keeps the old state: it may be a rewrite under way)
    assert 0 <= follower.state["offset"] <= max(len(head + data), len(more + data))
    assert 0 <= follower.state["rows"] <= follower.state["done"]
