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
from collections.abc import Mapping
from typing import Any

from tuitrain.metrics import MetricPoint, Progress
from tuitrain.parsers.base import EMPTY, ParseResult
from tuitrain.parsers.progress_bars import to_float, to_int

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

Compiled = tuple[str, re.Pattern[str], tuple[str, ...] | None]


def compile_patterns(patterns: Mapping[str, str], hints: bool = False) -> list[Compiled]:
    """Check and compile ``NAME=REGEX`` patterns; :class:`ValueError` says what is wrong."""
    out: list[Compiled] = []
    for name, text in patterns.items():
        if not isinstance(name, str) or not name.strip():
            raise ValueError("a pattern needs a metric name (NAME=REGEX)")
        if not isinstance(text, str) or not text:
            raise ValueError(f"the pattern for {name!r} is empty")
        try:
            regex = re.compile(text)
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
        self._step: int | None = None
        self._epoch: int | None = None
        self._total: int | None = None
        self._last: dict[str, list[Any]] = {}  # name -> [value, step] last recorded

    def feed(self, line: str, final: bool) -> ParseResult:
        try:
            return self._feed(line, final)
        except Exception:  # pragma: no cover - a parser must never stop a follower
            return EMPTY

    def _feed(self, line: str, final: bool) -> ParseResult:
        if not line:
            return EMPTY
        low = line.lower() if self._lower else line
        metrics: list[MetricPoint] = []
        progress: Progress | None = None
        for name, regex, hint in self._patterns:
            if hint is not None:
                for h in hint:
                    if h in low:
                        break
                else:
                    continue
            m = regex.search(line)
            raw = m.group(1) if m else None
            value = to_float(raw) if raw else None
            if value is None or m is None:
                continue
            if name == "step":
                self._step = int(value)
                if regex.groups >= 2:
                    self._total = to_int(m.group(2)) or self._total
                progress = Progress(step=self._step, total_steps=self._total)
            elif name == "epoch":
                self._epoch = int(value)
            else:
                last = self._last.get(name)
                if not final and last is not None and last[0] == value and last[1] == self._step:
                    continue
                self._last[name] = [value, self._step]
                metrics.append(MetricPoint(name, value, self._step, self._epoch))
        if not metrics and progress is None:
            return EMPTY
        return ParseResult(metrics, progress)

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
