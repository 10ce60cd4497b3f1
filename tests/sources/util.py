"""Drivers for the metric-source tests: read a file once, or follow it as it grows
with the state round-tripped through JSON into a fresh source before every poll."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from tuitrain.metrics import MetricPoint, Progress
from tuitrain.sources.base import MetricSource, ReadAt

MAX_POLLS = 100_000

Factory = Callable[[], MetricSource]


def bytes_reader(data: bytes) -> ReadAt:
    def read_at(offset: int, size: int) -> bytes:
        assert offset >= 0 and size >= 0
        return data[offset : offset + size]

    return read_at


def file_reader(path: Path) -> ReadAt:
    def read_at(offset: int, size: int) -> bytes:
        with open(path, "rb") as fh:
            fh.seek(offset)
            return fh.read(size)

    return read_at


def roundtrip(source: MetricSource, factory: Factory) -> MetricSource:
    """A fresh source restored from ``source``'s state after a trip through JSON."""
    fresh = factory()
    fresh.restore(json.loads(json.dumps(source.state())))
    return fresh


class Follower:
    """Polls like the ingester: restore, poll, save, again while ``more``."""

    def __init__(self, factory: Factory) -> None:
        self.factory = factory
        self.state = json.loads(json.dumps(factory().state()))
        self.metrics: list[MetricPoint] = []
        self.progress: list[Progress] = []
        self.polls = 0

    def poll(self, data: bytes, eof: bool = False, read_at: ReadAt | None = None) -> None:
        read = read_at or bytes_reader(data)
        for _ in range(MAX_POLLS):
            source = self.factory()
            source.restore(self.state)
            batch = source.poll(read, len(data), eof)
            self.state = json.loads(json.dumps(source.state()))
            self.polls += 1
            self.metrics.extend(batch.metrics)
            if batch.progress is not None:
                self.progress.append(batch.progress)
            if not batch.more:
                return
        raise AssertionError("source keeps reporting more")


def read_once(factory: Factory, data: bytes, eof: bool = True) -> list[MetricPoint]:
    follower = Follower(factory)
    follower.poll(data, eof=eof)
    return follower.metrics


def follow(factory: Factory, snapshots: Iterable[bytes], eof: bool = True) -> Follower:
    """Poll after every snapshot of the file, then once more with ``eof``."""
    follower = Follower(factory)
    last = b""
    for snap in snapshots:
        follower.poll(snap)
        last = snap
    if eof:
        follower.poll(last, eof=True)
    return follower


def prefixes(data: bytes, cuts: Sequence[int]) -> list[bytes]:
    """The file as it grows through ``cuts`` (any order, clipped) to its full size."""
    points = sorted({min(max(c, 0), len(data)) for c in cuts} | {len(data)})
    return [data[:c] for c in points]


def random_cuts(data: bytes, seed: int, count: int) -> list[int]:
    rng = random.Random(seed)
    return [rng.randrange(len(data) + 1) for _ in range(count)]
