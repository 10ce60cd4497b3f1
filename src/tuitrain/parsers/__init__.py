"""Stdout parsers: pick one by name, or let :class:`AutoParser` recognise the tool.

``make_parser`` is the only constructor the engine needs. User patterns (``NAME=REGEX``)
apply with every parser: with ``regex`` and ``auto`` next to the seed defaults, with a
framework parser in addition to what it recognises itself.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tuitrain.metrics import MetricPoint, Progress
from tuitrain.parsers.base import EMPTY, Batch, OutputParser, ParseResult, feed_each, feed_many
from tuitrain.parsers.lightning import LightningParser
from tuitrain.parsers.progress_bars import RICH_BAR, TQDM_BAR
from tuitrain.parsers.rave import RaveParser
from tuitrain.parsers.regex import DEFAULT_PATTERNS, RegexParser
from tuitrain.parsers.ultralytics import UltralyticsParser

__all__ = [
    "DEFAULT_PATTERNS",
    "PARSER_NAMES",
    "AutoParser",
    "LightningParser",
    "OutputParser",
    "ParseResult",
    "RaveParser",
    "RegexParser",
    "UltralyticsParser",
    "WithPatterns",
    "detect_framework",
    "feed_many",
    "make_parser",
]

PARSER_NAMES = ("auto", "ultralytics", "lightning", "rave", "regex")
FRAMEWORKS = ("ultralytics", "lightning", "rave")
_RAVE_PREFIXES = ("Compression ratio:", "Receptive field:", "dataset length:", "selected gpu:")


def detect_framework(line: str) -> str | None:
    """The framework a line gives away, if any (banners and markers printed early)."""
    if line.startswith("Ultralytics ") or ("GPU_mem" in line and "Epoch" in line):
        return "ultralytics"
    if line.startswith(_RAVE_PREFIXES) or "/rave/" in line:
        return "rave"
    if line.startswith("Epoch ") and (TQDM_BAR.match(line) or RICH_BAR.match(line)):
        return "lightning"
    return None


def _framework(name: str, max_steps: int | None) -> OutputParser:
    if name == "ultralytics":
        return UltralyticsParser()
    if name == "lightning":
        return LightningParser()
    return RaveParser(max_steps)


def _merge(a: ParseResult, b: ParseResult) -> ParseResult:
    if not b:
        return a
    if not a:
        return b
    return ParseResult(a.metrics + b.metrics, a.progress if a.progress is not None else b.progress)


class WithPatterns:
    """A framework parser plus the user's own patterns (without the seed defaults)."""

    def __init__(self, primary: OutputParser, patterns: Mapping[str, str]) -> None:
        self.primary = primary
        self.extra = RegexParser(patterns, defaults=False)
        self.name = primary.name

    def feed(self, line: str, final: bool) -> ParseResult:
        return _merge(self.primary.feed(line, final), self.extra.feed(line, final))

    def feed_many(self, segments: Sequence[tuple[str, bool]]) -> Batch:
        return feed_each(self, segments)

    def state(self) -> dict[str, Any]:
        return {"primary": self.primary.state(), "extra": self.extra.state()}

    def restore(self, state: dict[str, Any]) -> None:
        self.primary.restore(state.get("primary") or {})
        self.extra.restore(state.get("extra") or {})


class AutoParser:
    """Regex defaults until a line gives the framework away, then that framework's parser.

    Detection looks at every segment until it succeeds: the Ultralytics banner or epoch
    header, RAVE's messages and package paths, a Lightning ``Epoch N`` bar.
    """

    name = "auto"

    def __init__(
        self, patterns: Mapping[str, str] | None = None, *, max_steps: int | None = None
    ) -> None:
        self._max_steps = max_steps
        self._fallback = RegexParser(patterns)
        self._extra = RegexParser(patterns, defaults=False) if patterns else None
        self.detected: str | None = None
        self._delegate: OutputParser | None = None
        self.feed: Callable[[str, bool], ParseResult] = self._feed_any

    def _feed_any(self, line: str, final: bool) -> ParseResult:
        try:
            return self._feed(line, final)
        except Exception:  # pragma: no cover - a parser must never stop a follower
            return EMPTY

    def _feed(self, line: str, final: bool) -> ParseResult:
        delegate = self._delegate
        if delegate is None:
            name = detect_framework(line)
            if name is None:
                return self._fallback.feed(line, final)
            self._use(name)
            delegate = self._delegate
            assert delegate is not None
        result = delegate.feed(line, final)
        if self._extra is not None:
            result = _merge(result, self._extra.feed(line, final))
        return result

    def feed_many(self, segments: Sequence[tuple[str, bool]]) -> Batch:
        """As :meth:`feed` one segment after the other; see :func:`feed_many`."""
        metrics: list[MetricPoint] = []
        progress: Progress | None = None
        start = 0
        if self._delegate is None:
            metrics, progress, start = self._detect(segments)
        if start == len(segments):
            return metrics, progress
        rest = segments[start:] if start else segments
        if self._extra is not None or self._delegate is None:
            more, last = feed_each(self, rest)
        else:
            more, last = feed_many(self._delegate, rest)
        if more:
            metrics += more
        return metrics, progress if last is None else last

    def _detect(
        self, segments: Sequence[tuple[str, bool]]
    ) -> tuple[list[MetricPoint], Progress | None, int]:
        """Feed segments until one gives the framework away: the metrics, the last
        progress and how many segments that took."""
        metrics: list[MetricPoint] = []
        progress: Progress | None = None
        used = 0
        feed = self._feed_any
        for line, final in segments:
            used += 1
            result = feed(line, final)
            if result.metrics:
                metrics += result.metrics
            if result.progress is not None:
                progress = result.progress
            if self.detected is not None:
                break
        return metrics, progress, used

    def _use(self, name: str) -> None:
        self.detected = name
        self._delegate = _framework(name, self._max_steps)
        # Known now: straight to the framework parser (it never raises either).
        self.feed = self._delegate.feed if self._extra is None else self._feed_any

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = {"detected": self.detected}
        if self._delegate is not None:
            state["delegate"] = self._delegate.state()
        else:
            state["fallback"] = self._fallback.state()
        if self._extra is not None:
            state["extra"] = self._extra.state()
        return state

    def restore(self, state: dict[str, Any]) -> None:
        detected = state.get("detected")
        if detected in FRAMEWORKS:
            self._use(str(detected))
            assert self._delegate is not None
            self._delegate.restore(state.get("delegate") or {})
        else:
            self.detected, self._delegate = None, None
            self.feed = self._feed_any
            self._fallback.restore(state.get("fallback") or {})
        if self._extra is not None:
            self._extra.restore(state.get("extra") or {})


def make_parser(
    name: str, patterns: Mapping[str, str] | None = None, *, max_steps: int | None = None
) -> OutputParser:
    """The parser called ``name``; :class:`ValueError` for an unknown name or a bad pattern.

    ``max_steps`` (RAVE's ``--max_steps``) gives RAVE's progress its total.
    """
    if name == "auto":
        return AutoParser(patterns, max_steps=max_steps)
    if name == "regex":
        return RegexParser(patterns)
    if name in FRAMEWORKS:
        parser = _framework(name, max_steps)
        return WithPatterns(parser, patterns) if patterns else parser
    raise ValueError(f"unknown parser {name!r} (choose from {', '.join(PARSER_NAMES)})")
