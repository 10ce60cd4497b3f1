"""Feeding a batch at once gives what feeding its segments one by one gives, results
read lazily equal results computed at once, and the faster regexes match as before."""

from __future__ import annotations

import json
import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tuitrain.metrics import MetricPoint, Progress
from tuitrain.output.lines import LineSplitter, Segment
from tuitrain.parsers import (
    LightningParser,
    RaveParser,
    RegexParser,
    UltralyticsParser,
    feed_many,
    make_parser,
)
from tuitrain.parsers.base import EMPTY, OutputParser, ParseResult, deferred, feed_each
from tuitrain.parsers.lightning import _TQDM_EPOCH
from tuitrain.sources.console import MAX_LINES_PER_BATCH, ConsoleLogSource

from .test_fuzz import FRAGMENTS, text_pieces
from .util import FIXTURES, roundtrip, segments

PATTERNS = {"acc": r"acc\W*(\S+)", "step": r"it (\d+)"}
FACTORIES: dict[str, Callable[[], OutputParser]] = {
    "auto": lambda: make_parser("auto"),
    "auto+patterns": lambda: make_parser("auto", PATTERNS),
    "ultralytics": UltralyticsParser,
    "ultralytics+patterns": lambda: make_parser("ultralytics", PATTERNS),
    "lightning": LightningParser,
    "lightning+patterns": lambda: make_parser("lightning", PATTERNS),
    "rave": lambda: RaveParser(max_steps=20),
    "regex": RegexParser,
    "regex+patterns": lambda: make_parser("regex", PATTERNS),
}
FIXTURE_NAMES = sorted(p.name for p in FIXTURES.glob("*.raw"))

Summary = tuple[list[MetricPoint], Progress | None]


def one_by_one(parser: OutputParser, segs: list[Segment]) -> Summary:
    """What ConsoleLogSource.poll did before batches: feed, collect, keep last progress."""
    metrics: list[MetricPoint] = []
    progress = None
    for seg in segs:
        result = parser.feed(seg.text, seg.final)
        metrics.extend(result.metrics)
        if result.progress is not None:
            progress = result.progress
    return metrics, progress


def check_batches(make: Callable[[], OutputParser], segs: list[Segment], cuts: list[int]) -> None:
    """Batches between ``cuts``, the state through JSON between batches, give the
    per-segment results, and leave the same state behind."""
    reference = make()
    batched = make()
    for lo, hi in zip([0, *cuts], [*cuts, len(segs)], strict=True):
        batch = segs[lo:hi]
        assert feed_many(batched, batch) == one_by_one(reference, batch), (lo, hi)
        assert batched.state() == reference.state()
        batched = roundtrip(batched, make())


@pytest.mark.parametrize("kind", sorted(FACTORIES))
@pytest.mark.parametrize("fixture", FIXTURE_NAMES)
def test_batches_of_recorded_output(kind: str, fixture: str) -> None:
    segs = segments(fixture)
    make = FACTORIES[kind]
    check_batches(make, segs, [])
    check_batches(make, segs, list(range(1, len(segs), 7)))
    check_batches(make, segs, list(range(1, len(segs))))


@settings(max_examples=150, deadline=None)
@given(text_pieces, st.lists(st.integers(min_value=0, max_value=60), max_size=5))
def test_batches_of_mangled_output(pieces: list[str], cuts: list[int]) -> None:
    segs, _ = LineSplitter().split("".join(pieces).encode("utf-8", "surrogatepass"), eof=True)
    points = sorted({min(c, len(segs)) for c in cuts})
    for make in FACTORIES.values():
        check_batches(make, segs, points)


@settings(max_examples=150, deadline=None)
@given(text_pieces)
def test_lazy_progress_is_the_eager_one(pieces: list[str]) -> None:
    """``feed`` leaves the progress to be worked out when read; ``_feed`` (no safety
    net) works it out at once. Both give the same, in the same state."""
    segs, _ = LineSplitter().split("".join(pieces).encode("utf-8", "surrogatepass"), eof=True)
    for make in (LightningParser, UltralyticsParser, RaveParser, RegexParser):
        lazy, eager = make(), make()
        for seg in segs:
            got = lazy.feed(seg.text, seg.final)
            want = eager._feed(seg.text, seg.final)
            assert bool(got) == bool(want)
            assert (got.metrics, got.progress) == (want.metrics, want.progress)
            assert got == want
        assert lazy.state() == eager.state()


def test_parse_result_behaves_like_the_dataclass_it_was() -> None:
    made: list[int] = []

    def make(arg: int) -> Progress:
        made.append(arg)
        return Progress(step=arg)

    lazy = deferred([], make, 3)
    assert lazy and made == []
    assert lazy.progress == Progress(step=3) and lazy.progress is lazy.progress
    assert made == [3]
    assert lazy == ParseResult([], Progress(step=3)) == ParseResult(progress=Progress(step=3))
    assert repr(lazy) == f"ParseResult(metrics=[], progress={Progress(step=3)!r})"
    assert not EMPTY and EMPTY.metrics == [] and EMPTY.progress is None
    assert ParseResult([MetricPoint("a", 1.0)]) != ParseResult()
    assert ParseResult().metrics is not ParseResult().metrics
    result = ParseResult()
    result.progress = Progress(step=1)
    assert result.progress == Progress(step=1) and result
    with pytest.raises(TypeError):
        hash(result)


def test_feed_many_without_a_batch_method_feeds_one_by_one() -> None:
    class Plain:
        name = "plain"

        def feed(self, line: str, final: bool) -> ParseResult:
            return ParseResult(
                [MetricPoint(line, 1.0)], Progress(step=len(line)) if final else None
            )

        def state(self) -> dict[str, object]:
            return {}

        def restore(self, state: dict[str, object]) -> None:
            pass

    segs = [Segment("a", True), Segment("bb", False), Segment("ccc", True), Segment("d", False)]
    want = ([MetricPoint(x, 1.0) for x in ("a", "bb", "ccc", "d")], Progress(step=3))
    assert feed_many(Plain(), segs) == feed_each(Plain(), segs) == want


# --- the console source: batches as the ingester polls them ----------------------------


def old_poll(parser: OutputParser, segs: list[Segment]) -> tuple[object, ...]:
    metrics, progress = one_by_one(parser, segs)
    lines = [s.text for s in segs if s.final]
    dropped = max(0, len(lines) - MAX_LINES_PER_BATCH)
    return metrics, progress, lines[-MAX_LINES_PER_BATCH:] if dropped else lines, dropped


@pytest.mark.parametrize("kind", ["auto", "auto+patterns", "lightning", "ultralytics"])
@pytest.mark.parametrize("fixture", FIXTURE_NAMES)
def test_console_source_polls_as_before(kind: str, fixture: str) -> None:
    data = (FIXTURES / fixture).read_bytes()
    make = FACTORIES[kind]
    for chunk in (97, 1000, 1 << 22):
        state: dict[str, object] | None = None
        reference = make()
        splitter = LineSplitter()
        offset = 0
        while True:
            source = ConsoleLogSource(make(), chunk_bytes=chunk)
            if state is not None:
                source.restore(json.loads(json.dumps(state)))
            batch = source.poll(lambda at, n: data[at : at + n], len(data), True)
            piece = data[offset : offset + chunk]
            want_segs, used = splitter.split(piece, eof=offset + len(piece) >= len(data))
            if used == 0 and len(piece) >= chunk:
                used = len(piece)  # as the source does with a chunk shorter than a line
            offset += used
            got = (batch.metrics, batch.progress, batch.lines, batch.lines_dropped)
            assert got == old_poll(reference, want_segs)
            state = source.state()
            if not batch.more:
                break
        assert offset == len(data)


# --- the train bar's possessive regex matches as the plain one did ----------------------

PLAIN_TQDM_EPOCH = re.compile(
    r"Epoch ([0-9]{1,9})()(?::[^|]*)?\|[^|]*\| *([0-9]{1,18})/([0-9]{1,18}|\?) *"
    r"\[([^<,\]]*)<?([^,\]]*)(?:, *([^,\]]*))?([^\]]*)\]"
)
BAR_BITS = [*FRAGMENTS, "Epoch 1", "Epoch 12:", ":", "|", "||", " ", "  ", "5", "12/", "/", "?"]
BAR_BITS += ["[", "]", "<", ",", ", ", "=", "00:01", "2.5it/s", "█", "\n", "x"]


# Bars built piece by piece: every piece one that fits, except maybe one that does not,
# so that most of them get far into the regex before they match or not.
BAR_PIECES: list[tuple[list[str], list[str]]] = [
    (["0", "12", "123456789"], ["", "a", "1234567890"]),
    ([":", ": ", ":  50%", ""], [" ", ":x|"]),
    (["|"], ["", ":"]),
    (["", "█████     ", " "], ["|"]),
    (["|"], [""]),
    (["", " ", "  "], ["\t"]),
    (["0", "5", "123456789012345678"], ["", "a", "1234567890123456789"]),
    (["/4", "/?", "/123456789012345678"], ["/", "4", "/1234567890123456789", "/ 4"]),
    (["", " ", "  "], ["\t"]),
    (["["], ["", " a["]),
    (["00:01", "<", ", ", "2.5it/s", "loss=0.5", " ", ","], ["]", "?", "a"]),
    (["00:01", "<", ", ", "2.5it/s", "loss=0.5", " ", ","], ["]", "?", "a"]),
    (["00:01", "<", ", ", "2.5it/s", "loss=0.5", " ", ","], ["]", "?", "a"]),
    (["00:01", "<", ", ", "2.5it/s", "loss=0.5", " ", ","], ["]", "?", "a"]),
    (["]", "]x", "] x", "]]"], ["", "]\n", "x"]),
]


@st.composite
def bars(draw: st.DrawFn) -> str:
    off = draw(st.integers(min_value=-1, max_value=len(BAR_PIECES) - 1))
    parts = [draw(st.sampled_from(o if i == off else r)) for i, (r, o) in enumerate(BAR_PIECES)]
    return "Epoch " + "".join(parts)


@settings(max_examples=3000, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(BAR_BITS), max_size=25).map("".join), bars()))
def test_possessive_train_bar_regex_matches_as_before(text: str) -> None:
    for line in (text, "Epoch " + text):
        want = PLAIN_TQDM_EPOCH.match(line)
        got = _TQDM_EPOCH.match(line)
        if want is None:
            assert got is None
        else:
            assert got is not None
            assert (got.groups(), got.end()) == (want.groups(), want.end())


# --- the default patterns, as compiled, match as the texts they stand for ---------------

REGEX_BITS = ["step", "Step", "STEP", "epoch", "Epoch", "loss", "Loss", "val", "Val", "eval"]
REGEX_BITS += ["lr", "LR", "Lr", "learning_rate", "Learning_rate", "_", " ", "\t", "\n", ":"]
REGEX_BITS += ["=", "'", '"', "/", "5", "12", "0.5", "-1e-4", ".", "a", "x_", "1", "é", "ß"]
REGEX_BITS += ["val loss=1", "Val\tloss: 2", "eval_loss 3", "xval loss=4", "step 5/10", "lr=1e-3"]
REGEX_BITS += ["learning_rate: 0.1", "epoch=2", "train_loss=5", "1step 3", "Xlr=1"]
REGEX_BITS += ["Learning_rate=0.2", "Vval_loss=1", "eval loss=2", "lR: 3", "éloss=1"]


@settings(max_examples=3000, deadline=None)
@given(st.lists(st.sampled_from(REGEX_BITS), max_size=14).map("".join))
def test_default_patterns_compile_to_equivalents(text: str) -> None:
    from tuitrain.parsers.regex import _FASTER, DEFAULT_PATTERNS, compile_patterns

    assert set(_FASTER) == set(DEFAULT_PATTERNS.values())
    for name, regex, _ in compile_patterns(DEFAULT_PATTERNS, hints=True):
        plain = re.compile(DEFAULT_PATTERNS[name])
        assert regex.groups == plain.groups
        for at in range(len(text) + 1):
            want, got = plain.search(text, at), regex.search(text, at)
            assert (got and (got.span(), got.groups())) == (want and (want.span(), want.groups()))
