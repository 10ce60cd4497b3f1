"""A follower that stops anywhere and resumes from the saved state parses identically."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tuitrain.parsers import (
    LightningParser,
    RaveParser,
    RegexParser,
    UltralyticsParser,
    make_parser,
)
from tuitrain.parsers.base import OutputParser, ParseResult

from .util import FIXTURES, roundtrip, segments

FACTORIES: dict[str, Callable[[], OutputParser]] = {
    "auto": lambda: make_parser("auto"),
    "auto+patterns": lambda: make_parser("auto", {"acc": r"acc(?:uracy)?\W+([0-9.]+)"}),
    "ultralytics": UltralyticsParser,
    "lightning": LightningParser,
    "lightning+patterns": lambda: make_parser("lightning", {"lr": r"lr-AdamW\W+([0-9.e-]+)"}),
    "rave": lambda: RaveParser(max_steps=20),
    "regex": RegexParser,
}
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.glob("*.raw"))
FRAMEWORK_OF = {"yolo": "ultralytics", "detr": "lightning", "rave": "rave"}
CASES = [
    (kind, fixture)
    for kind in sorted(FACTORIES)
    for fixture in FIXTURE_NAMES
    if kind.startswith(("auto", "regex", FRAMEWORK_OF[fixture.partition("_")[0]]))
]


def summary(res: list[ParseResult]) -> list[tuple[object, ...]]:
    return [(tuple(r.metrics), r.progress) for r in res]


@pytest.mark.parametrize(("kind", "fixture"), CASES)
def test_resuming_at_every_segment_boundary(kind: str, fixture: str) -> None:
    make = FACTORIES[kind]
    segs = segments(fixture)
    reference = make()
    expected = summary([reference.feed(s.text, s.final) for s in segs])
    quiet = fixture.endswith("channels0_error.raw") or (kind == "regex" and "rave" in fixture)
    assert any(m or p for m, p in expected) != quiet
    head = make()
    done: list[ParseResult] = []
    for cut in range(len(segs) + 1):
        resumed = roundtrip(head, make())
        rest = [resumed.feed(s.text, s.final) for s in segs[cut:]]
        assert summary(done + rest) == expected, f"differs when resumed after segment {cut}"
        if cut < len(segs):
            done.append(head.feed(segs[cut].text, segs[cut].final))


def test_resumed_parser_state_is_plain_json() -> None:
    parser = make_parser("auto")
    for s in segments("detr_pl_output_tty.raw")[:30]:
        parser.feed(s.text, s.final)
    state = parser.state()
    assert state["detected"] == "lightning"
    again = roundtrip(parser, make_parser("auto"))
    assert again.state() == state
