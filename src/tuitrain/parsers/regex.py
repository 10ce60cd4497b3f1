"""User patterns ``NAME=REGEX`` for the output of any other program.

A pattern's first capture group is the value; text that is not a number is skipped.
``step`` and ``epoch`` are not recorded as metrics: they set the step and epoch of the
values found on the same and the following lines (a second group in ``step``, as in
``step 5/100``, gives the total for the progress). The defaults, from the product's
seed, catch the usual ``loss``, ``val_loss`` (``eval_loss`` too), ``lr``, ``step`` and
``epoch`` spellings, and ``loss`` does not fire inside ``val_loss`` or ``train_loss``. A progress bar redraws
the same text many times: on a redraw (a ``\\r`` segment) a value equal to the last one
recorded under that name and step is not recorded again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from math import isfinite
from typing import Any

from tuitrain.metrics import MetricPoint, Progress
from tuitrain.parsers.base import EMPTY, Batch, ParseResult
from tuitrain.parsers.progress_bars import to_int

_NUM = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_SEP = r"['\"]?[:\s=]+"
DEFAULT_PATTERNS: dict[str, str] = {
    "step": r"(?<![A-Za-z0-9])[Ss]tep" + _SEP + r"(\d+)(?:\s*/\s*(\d+))?",
    "epoch": r"(?<![A-Za-z0-9])[Ee]poch" + _SEP + r"(\d+)",
    "loss": r"(?<!\w)(?<![Vv]al\s)[Ll]oss" + _SEP + _NUM,
    "val_loss": r"(?<![A-Za-z0-9])(?:[Vv]al|eval)[_\s][Ll]oss" + _SEP + _NUM,
    "lr": r"(?<!\w)(?:[Ll][Rr]|learning_rate)" + _SEP + _NUM,
}
# Lower-case words one of which a line must hold before a default pattern is tried.
_HINTS: dict[str, tuple[str, ...]] = {
    "step": ("step",),
    "epoch": ("epoch",),
    "loss": ("loss",),
    "val_loss": ("loss",),
    "lr": ("lr", "learning_rate"),
}
_CONTEXT = ("step", "epoch")  # names that set the context instead of being metrics
_STEP, _EPOCH, _METRIC = 0, 1, 2
# The defaults as the regex engine finds them faster: the first character before the
# look-behinds (which then look one character further back), so that a search skips
# to the places where that character is. Same matches, same groups.
_FASTER: dict[str, str] = {
    DEFAULT_PATTERNS["step"]: r"[Ss](?<![A-Za-z0-9].)tep" + _SEP + r"(\d+)(?:\s*/\s*(\d+))?",
    DEFAULT_PATTERNS["epoch"]: r"[Ee](?<![A-Za-z0-9].)poch" + _SEP + r"(\d+)",
    DEFAULT_PATTERNS["loss"]: r"[Ll](?<!\w.)(?<![Vv]al\s.)oss" + _SEP + _NUM,
    DEFAULT_PATTERNS["val_loss"]: (
        r"[Vve](?<![A-Za-z0-9].)(?:(?<=[Vv])al|(?<=e)val)[_\s][Ll]oss" + _SEP + _NUM
    ),
    DEFAULT_PATTERNS["lr"]: r"[Ll](?<!\w.)(?:[Rr]|(?<=l)earning_rate)" + _SEP + _NUM,
}

Compiled = tuple[str, re.Pattern[str], tuple[str, ...] | None]
_new = tuple.__new__


def _step_progress(step: int | None, total: int | None) -> Progress:
    return _new(Progress, (None, None, step, total, None, None))  # Progress(step=, total_steps=)


def compile_patterns(patterns: Mapping[str, str], hints: bool = False) -> list[Compiled]:
    """Check and compile ``NAME=REGEX`` patterns; :class:`ValueError` says what is wrong."""
    out: list[Compiled] = []
    for name, text in patterns.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a pattern needs a metric name (NAME=REGEX)")
        if not isinstance(text, str) or not text:
            raise ValueError(f"the pattern for {name!r} is empty")
        try:
            regex = re.compile(_FASTER.get(text, text))
        except re.error as exc:
            raise ValueError(f"invalid regular expression for {name!r}: {exc}") from None
        if regex.groups < 1:
            raise ValueError(f"the pattern for {name!r} needs a capture group around the value")
        out.append((name.strip(), regex, _HINTS.get(name) if hints else None))
    return out


class RegexParser:
    """Metrics found by regular expressions, line by line."""

    name = "regex"

    def __init__(self, patterns: Mapping[str, str] | None = None, *, defaults: bool = True) -> None:
        user = dict(patterns or {})
        self._patterns = compile_patterns(user)
        if defaults:
            seed = {k: v for k, v in DEFAULT_PATTERNS.items() if k not in user}
            self._patterns += compile_patterns(seed, hints=True)
        # Context first, so that a step on a line applies to that line's values.
        self._patterns.sort(key=lambda c: c[0] not in _CONTEXT)
        self._lower = any(hint is not None for _, _, hint in self._patterns)
        kinds = {"step": _STEP, "epoch": _EPOCH}
        self._scanners = [
            (name, regex.search, hint, kinds.get(name, _METRIC), regex.groups >= 2)
            for name, regex, hint in self._patterns
        ]
        self._step: int | None = None
        self._epoch: int | None = None
        self._total: int | None = None
        self._last: dict[str, list[Any]] = {}  # name -> [value, step] last recorded
        self._moved = False  # set by _scan when a line gave the step

    def feed(self, line: str, final: bool) -> ParseResult:
        try:
            metrics = self._scan(line, final)
            if not self._moved:
                return ParseResult(metrics) if metrics else EMPTY
            self._moved = False
            return ParseResult(metrics or [], _step_progress(self._step, self._total))
        except Exception:  # pragma: no cover - a parser must never stop a follower
            self._moved = False
            return EMPTY

    def feed_many(self, segments: Iterable[tuple[str, bool]]) -> Batch:
        """What :meth:`feed` gives for each segment in turn: all metrics and the last
        progress. Only that progress is built."""
        metrics: list[MetricPoint] = []
        last: tuple[int | None, int | None] | None = None
        scan = self._scan
        for line, final in segments:
            try:
                found = scan(line, final)
            except Exception:  # pragma: no cover - a parser must never stop a follower
                self._moved = False
                continue
            if found:
                metrics += found
            if self._moved:
                self._moved = False
                last = (self._step, self._total)
        return metrics, None if last is None else _step_progress(*last)

    def _feed(self, line: str, final: bool) -> ParseResult:
        """:meth:`feed` without its safety net."""
        metrics = self._scan(line, final)
        if not self._moved:
            return ParseResult(metrics) if metrics else EMPTY
        self._moved = False
        return ParseResult(metrics or [], _step_progress(self._step, self._total))

    def _scan(self, line: str, final: bool) -> list[MetricPoint] | None:
        """Take one line in: the metrics it gives. ``_moved`` tells that a step was found
        (the progress is then ``_step``/``_total``)."""
        if not line:
            return None
        low = line.lower() if self._lower else line
        metrics: list[MetricPoint] | None = None
        for name, search, hint, kind, total_group in self._scanners:
            if hint is not None:
                for h in hint:
                    if h in low:
                        break
                else:
                    continue
            m = search(line)
            if m is None:
                continue
            raw = m.group(1)
            if not raw:
                continue
            try:  # to_float, inlined
                value = float(raw)
            except ValueError:
                continue
            if not isfinite(value):
                continue
            if kind == _STEP:
                self._step = int(value)
                if total_group:
                    self._total = to_int(m.group(2)) or self._total
                self._moved = True
            elif kind == _EPOCH:
                self._epoch = int(value)
            else:
                last = self._last.get(name)
                if not final and last is not None and last[0] == value and last[1] == self._step:
                    continue
                self._last[name] = [value, self._step]
                point = _new(MetricPoint, (name, value, self._step, self._epoch, None))
                if metrics is None:
                    metrics = [point]
                else:
                    metrics.append(point)
        return metrics

    def state(self) -> dict[str, Any]:
        return {
            "step": self._step,
            "epoch": self._epoch,
            "total": self._total,
            "last": {k: list(v) for k, v in self._last.items()},
        }

    def restore(self, state: dict[str, Any]) -> None:
        self._step = state.get("step")
        self._epoch = state.get("epoch")
        self._total = state.get("total")
        last = state.get("last") or {}
        self._last = {str(k): list(v) for k, v in last.items() if isinstance(v, list)}
