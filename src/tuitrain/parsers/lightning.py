"""PyTorch Lightning's progress bars (TQDM and Rich) -> metrics and progress.

Metrics are the bar's postfix: every ``key=value`` (TQDM) or ``key: value`` (Rich)
except ``v_num``. Their step is the global step ``epoch * batches_per_epoch + batch``
(``batch`` = batches done, as the bar counts them, i.e. ``trainer.global_step``), their
epoch Lightning's 0-based ``current_epoch``, as in its ``metrics.csv``.

A position's values are held until the bar moves on: TQDM first redraws a new position
with the previous postfix and then with the fresh one, so the last redraw of a position
is the one that counts. A final line of other text (a warning, "`Trainer.fit` stopped")
also releases them: nothing can print between those two redraws.

Epoch-level values (``val_*``, ``*_epoch``) stay in the postfix during the whole next
epoch. They are taken only after a validation bar ran in this epoch or when their value
changed, so each is recorded once, at the step where it appeared; a print while the
validation still runs does not release them (Rich redraws stale ones around it). Values
shown at batch 0 (the previous epoch's, or the sanity check's) are never recorded.

Progress counts epochs 1-based like :class:`Progress` wants; Rich's ``Epoch 0/1`` gives
2 epochs in all, TQDM does not show the total. Lightning 1.x counts validation batches
in the train bar (see :mod:`tuitrain.parsers.rave`), which shifts steps here.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from tuitrain.metrics import MetricPoint, Progress
from tuitrain.parsers.base import ScanningParser
from tuitrain.parsers.progress_bars import (
    RICH_METRIC,
    parse_duration,
    parse_rate,
    rich_metrics,
    run_eta,
    to_float,
    tqdm_postfix,
)

# The train bar. Groups: epoch, last epoch (Rich only), n, total, elapsed, remaining,
# rate, postfix. Numbers are ASCII digits of bounded length, so int() cannot fail.
# Possessive (``*+``, ``?+``): no backtracking into a part could make the rest match
# (each stops where the next one has to start), so the match is the same, only cheaper.
_TQDM_EPOCH = re.compile(
    r"Epoch ([0-9]{1,9})()(?::[^|]*+)?+\|[^|]*+\| *+([0-9]{1,18}+)/([0-9]{1,18}+|\?) *+"
    r"\[([^<,\]]*+)<?+([^,\]]*+)(?:, *+([^,\]]*+))?+([^\]]*+)\]"
)
_RICH_EPOCH = re.compile(
    r"Epoch ([0-9]{1,9})(?:/(-?[0-9]{1,9}))? +[━╸╺╾╼─]+ +([0-9]{1,18})/([0-9]{1,18}|\?|--|None) +"
    r"([0-9:]+) +• +(\S+) +([0-9.]+)it/s *(.*)"
)
_STOPPED = "Trainer.fit"
_OTHER_BARS = ("Sanity Checking", "Validation", "Training", "Testing", "Predicting")
_EPOCH_LEVEL = re.compile(r"(?:^|[/_\s.-])val|_epoch$", re.IGNORECASE)


@lru_cache(maxsize=4096)
def is_epoch_level(name: str) -> bool:
    """Validation and ``*_epoch`` values: shown until the next epoch replaces them."""
    return _EPOCH_LEVEL.search(name) is not None


def _is_other_text(line: str) -> bool:
    stripped = line.strip()
    return (
        bool(stripped)
        and "it/s" not in line
        and "s/it" not in line
        and not stripped.startswith(_OTHER_BARS)
    )


# What a train bar's :class:`Progress` needs: epoch, total epochs, n, total, the match (its
# rate and remaining texts are only made into numbers for a progress that is read) and
# whether it is a Rich bar.
_BarArgs = tuple[int, int | None, int, int | None, "re.Match[str]", bool]
_new = tuple.__new__


def _bar_progress(args: _BarArgs) -> Progress:
    epoch, total_epochs, n, total, m, rich = args
    rate_s = m.group(7)
    rate = (to_float(rate_s) or None) if rich else parse_rate(rate_s)
    eta = None
    if total is not None and total_epochs is not None:
        left = total_epochs - epoch - 1
        eta = run_eta(rate, total - n, left, total, parse_duration(m.group(6)))
    return _new(Progress, (epoch + 1, total_epochs, n, total, rate, eta))


class LightningParser(ScanningParser):
    """Parser for ``Trainer.fit`` console output with the default progress bars."""

    name = "lightning"

    def __init__(self) -> None:
        self._epoch: int | None = None  # Lightning's 0-based epoch of the bar position
        self._batch = 0  # batches done in that epoch
        self._step: int | None = None  # global step of the position
        self._base = 0  # batches of earlier epochs, when the per-epoch total is unknown
        self._seen = 0  # highest batch seen in this epoch
        self._total_epochs: int | None = None
        self._pending: dict[str, float] = {}
        self._emitted: set[str] = set()  # names already recorded at this position
        self._epoch_values: dict[str, float] = {}  # last recorded epoch-level values
        self._val_ran = False  # a validation bar was seen since the last epoch-level values
        self._in_val = False  # the last bar seen was a validation bar
        self._rich_cont = False  # the last segment was a Rich bar (wrapped metrics follow)
        self._post_text: str | None = None  # cache: last postfix text and its values
        self._post_values: list[tuple[str, float]] = []
        self._progress_args: _BarArgs | None = None  # set by _scan for a train bar's progress

    def _progress(self, pending: Any) -> Progress:
        return _bar_progress(pending)

    def _scan(self, line: str, final: bool) -> list[MetricPoint] | None:
        """Take one segment in; the values it releases. A train bar leaves what its
        progress needs in ``_progress_args``."""
        if not line.startswith("Epoch "):
            cont = self._rich_cont
            self._rich_cont = False
            if cont and line.startswith(" ") and RICH_METRIC.match(line.lstrip()):
                self._rich_cont = True
                self._take(rich_metrics(line))
                if _STOPPED in line:
                    return self._release()
                return None
            if line.startswith("Validation"):
                self._val_ran = self._in_val = True
                return None
            if final and self._pending and _is_other_text(line):
                return self._other_text(line)
            return None
        # The train bar.
        rich = False
        m = _TQDM_EPOCH.match(line) if "|" in line else None
        if m is None:
            if "•" in line:
                m = _RICH_EPOCH.match(line)
                rich = True
            if m is None:
                self._rich_cont = False
                if final and self._pending and _is_other_text(line):
                    return self._other_text(line)
                return None
        epoch_s, n_s, total_s, post = m.group(1, 3, 4, 8)
        epoch, n = int(epoch_s), int(n_s)  # at most 18 ASCII digits: cannot fail
        total = int(total_s) if total_s.isdigit() else None
        if rich:
            last_s = m.group(2)
            if last_s and last_s[0] != "-":
                self._total_epochs = int(last_s) + 1
        released: list[MetricPoint] | None = None
        if epoch != self._epoch or n != self._batch:
            # A new position: record the values held at the previous one.
            pending = self._pending
            if pending:
                released = []
                step, at = self._step, self._epoch
                for key, value in pending.items():
                    if is_epoch_level(key):
                        self._epoch_values[key] = value
                        self._val_ran = False
                    released.append(_new(MetricPoint, (key, value, step, at, None)))
                pending.clear()
            self._emitted.clear()
            if epoch != self._epoch:
                if self._epoch is not None:
                    self._base += self._seen
                self._seen = 0
                self._val_ran = False
                self._epoch = epoch
            self._batch = n
            if n > self._seen:
                self._seen = n
            self._step = epoch * total + n if total else self._base + n
        if post != self._post_text:
            self._post_text = post
            self._post_values = rich_metrics(post) if rich else tqdm_postfix(post)
        values = self._post_values
        if values:
            if n == 0:  # == self._batch
                self._take(values)
            else:  # _take, inlined for the common case
                emitted = self._emitted
                pending = self._pending
                stale = None if self._val_ran else self._epoch_values
                for key, value in values:
                    if key in emitted:
                        continue
                    # Only epoch-level names are in _epoch_values: an unchanged one is stale.
                    if stale is not None and stale.get(key) == value:
                        continue
                    pending[key] = value
        self._rich_cont = rich
        self._in_val = False
        if rich:
            glued = _STOPPED in line
        else:
            end = m.end()
            glued = end < len(line) and not line[end:].isspace()
        if glued:
            more = self._release()
            released = more if released is None else released + more
        self._progress_args = (epoch, self._total_epochs, n, total, m, rich)
        return released

    def _other_text(self, line: str) -> list[MetricPoint]:
        """A print releases the held values, but not validation values shown while the
        validation still runs (Rich redraws them stale around prints in callbacks)."""
        return self._release(hold_epoch_level=self._in_val and _STOPPED not in line)

    def _take(self, values: list[tuple[str, float]]) -> None:
        """Hold the values shown at the current position."""
        if self._batch == 0:
            for key, value in values:
                if is_epoch_level(key):
                    self._epoch_values[key] = value  # seen, not new: never recorded later
            return
        for key, value in values:
            if key in self._emitted:
                continue
            # Only epoch-level names are in _epoch_values: an unchanged one is stale.
            if not self._val_ran and self._epoch_values.get(key) == value:
                continue
            self._pending[key] = value

    def _release(self, hold_epoch_level: bool = False) -> list[MetricPoint]:
        """Record the held values of the current position."""
        pending = self._pending
        if not pending:
            return []
        out: list[MetricPoint] = []
        step, epoch = self._step, self._epoch
        held: list[str] = []
        for key, value in pending.items():
            if is_epoch_level(key):
                if hold_epoch_level:
                    held.append(key)
                    continue
                self._epoch_values[key] = value
                self._val_ran = False
            out.append(_new(MetricPoint, (key, value, step, epoch, None)))
            self._emitted.add(key)
        if held:
            self._pending = {key: pending[key] for key in held}
        else:
            pending.clear()
        return out

    def state(self) -> dict[str, Any]:
        return {
            "epoch": self._epoch,
            "batch": self._batch,
            "step": self._step,
            "base": self._base,
            "seen": self._seen,
            "total_epochs": self._total_epochs,
            "pending": dict(self._pending),
            "emitted": sorted(self._emitted),
            "epoch_values": dict(self._epoch_values),
            "val_ran": self._val_ran,
            "in_val": self._in_val,
            "rich_cont": self._rich_cont,
        }

    def restore(self, state: dict[str, Any]) -> None:
        self._epoch = state.get("epoch")
        self._batch = int(state.get("batch") or 0)
        self._step = state.get("step")
        self._base = int(state.get("base") or 0)
        self._seen = int(state.get("seen") or 0)
        self._total_epochs = state.get("total_epochs")
        self._pending = {str(k): float(v) for k, v in (state.get("pending") or {}).items()}
        self._emitted = {str(k) for k in state.get("emitted") or ()}
        self._epoch_values = {
            str(k): float(v) for k, v in (state.get("epoch_values") or {}).items()
        }
        self._val_ran = bool(state.get("val_ran"))
        self._in_val = bool(state.get("in_val"))
        self._rich_cont = bool(state.get("rich_cont"))
