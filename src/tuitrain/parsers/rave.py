"""RAVE (``rave train`` / ``rave preprocess``) console output -> progress only.

RAVE trains with Lightning 1.9, whose TQDM bar shows no losses (its postfix is just
``v_num``; the scalars go to TensorBoard files) and counts validation batches in the
training bar: "Epoch 0: 100%| 8/8" is 7 training and 1 validation batch. The parser
therefore subtracts the batches the validation bars count and keeps the global step
across epochs, the number ``max_steps`` limits. ``max_steps`` is not printed before the
end ("`Trainer.fit` stopped: `max_steps=20` reached."), so the runner should pass it:
without it the progress has a step and a rate but no total. Crashes print tracebacks,
which are simply not bars here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from tuitrain.metrics import Progress
from tuitrain.parsers.base import EMPTY, Batch, ParseResult, feed_each
from tuitrain.parsers.progress_bars import TQDM_BAR, parse_rate, to_int

_MAX_STEPS = re.compile(r"max_steps=(\d+)")
# tqdm without a total, as ``rave preprocess`` prints it:
#   "dataset length: 0:01:29.164626: : 16it [00:01, 12.97it/s]"
_COUNT = re.compile(r"(\d+)it \[[^,\]]*,\s*([^,\]]*)")
_LIGHTNING_BARS = ("Sanity Checking", "Validation", "Training", "Testing", "Predicting", "Epoch")


class RaveParser:
    """Parser for RAVE's training and preprocessing progress bars."""

    name = "rave"

    def __init__(self, max_steps: int | None = None) -> None:
        self._max_steps = max_steps
        self._epoch: int | None = None
        self._base = 0  # training steps of earlier epochs
        self._cur = 0  # training steps of this epoch
        self._val_done = 0  # validation batches of finished validation bars in this epoch
        self._val_cur = 0  # batches of the current validation bar

    def feed(self, line: str, final: bool) -> ParseResult:
        try:
            return self._feed(line, final)
        except Exception:  # pragma: no cover - a parser must never stop a follower
            return EMPTY

    def feed_many(self, segments: Sequence[tuple[str, bool]]) -> Batch:
        return feed_each(self, segments)

    def _feed(self, line: str, final: bool) -> ParseResult:
        if "Trainer.fit" in line:
            m = _MAX_STEPS.search(line)
            steps = to_int(m.group(1)) if m else None
            if steps:
                self._max_steps = steps
        if line.startswith("Epoch "):
            return self._train_bar(line)
        if line.startswith("Validation"):
            m = TQDM_BAR.match(line)
            n = to_int(m.group(2)) if m else None
            if n is not None:
                if n < self._val_cur:
                    self._val_done += self._val_cur
                self._val_cur = n
            return EMPTY
        if "it [" in line and not line.startswith(_LIGHTNING_BARS):
            m = _COUNT.search(line)
            count = to_int(m.group(1)) if m else None
            if m and count is not None:
                return ParseResult(progress=Progress(step=count, rate=parse_rate(m.group(2))))
        return EMPTY

    def _train_bar(self, line: str) -> ParseResult:
        m = TQDM_BAR.match(line)
        if m is None:
            return EMPTY
        epoch = to_int(m.group(1)[6:].strip())
        n = to_int(m.group(2))
        if epoch is None or n is None:
            return EMPTY
        if epoch != self._epoch:
            if self._epoch is None:
                # Resumed from a checkpoint: earlier epochs are estimated at the bar's size.
                self._base = epoch * (to_int(m.group(3)) or 0)
            else:
                self._base += self._cur
            self._epoch = epoch
            self._cur = self._val_done = self._val_cur = 0
        done = n - self._val_done - self._val_cur
        if done > self._cur:
            self._cur = done
        step = self._base + self._cur
        total = self._max_steps
        rate = parse_rate(m.group(6))
        eta = max(total - step, 0) / rate if total and rate else None
        return ParseResult(progress=Progress(step=step, total_steps=total, rate=rate, eta_s=eta))

    def state(self) -> dict[str, Any]:
        return {
            "max_steps": self._max_steps,
            "epoch": self._epoch,
            "base": self._base,
            "cur": self._cur,
            "val_done": self._val_done,
            "val_cur": self._val_cur,
        }

    def restore(self, state: dict[str, Any]) -> None:
        self._max_steps = state.get("max_steps") or self._max_steps
        self._epoch = state.get("epoch")
        self._base = int(state.get("base") or 0)
        self._cur = int(state.get("cur") or 0)
        self._val_done = int(state.get("val_done") or 0)
        self._val_cur = int(state.get("val_cur") or 0)
