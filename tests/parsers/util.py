"""Feeding recorded console output through the line splitter and a parser."""

from __future__ import annotations

import json
from pathlib import Path

from tuitrain.metrics import MetricPoint, Progress
from tuitrain.output.lines import LineSplitter, Segment
from tuitrain.parsers.base import OutputParser, ParseResult

FIXTURES = Path(__file__).parent.parent / "fixtures" / "outputs"


def segments(fixture: str) -> list[Segment]:
    """The fixture as the terminal shows it: one segment per line or redraw."""
    segs, consumed = LineSplitter().split((FIXTURES / fixture).read_bytes(), eof=True)
    assert consumed == (FIXTURES / fixture).stat().st_size
    return segs


def results(parser: OutputParser, segs: list[Segment]) -> list[ParseResult]:
    return [parser.feed(seg.text, seg.final) for seg in segs]


def metrics_of(res: list[ParseResult]) -> list[MetricPoint]:
    return [m for r in res for m in r.metrics]


def progresses(res: list[ParseResult]) -> list[Progress]:
    return [r.progress for r in res if r.progress is not None]


def by_step(points: list[MetricPoint], name: str) -> dict[int | None, float]:
    """``{step: value}`` of one metric; fails on a repeated step."""
    out: dict[int | None, float] = {}
    for p in points:
        if p.name == name:
            assert p.step not in out, f"{name} recorded twice at step {p.step}"
            out[p.step] = p.value
    return out


def by_epoch(points: list[MetricPoint], name: str) -> dict[int | None, float]:
    out: dict[int | None, float] = {}
    for p in points:
        if p.name == name:
            assert p.epoch not in out, f"{name} recorded twice in epoch {p.epoch}"
            out[p.epoch] = p.value
    return out


def roundtrip(parser: OutputParser, fresh: OutputParser) -> OutputParser:
    """``fresh`` restored from ``parser``'s state, through strict JSON."""
    fresh.restore(json.loads(json.dumps(parser.state(), allow_nan=False)))
    return fresh
