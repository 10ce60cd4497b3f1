"""Ultralytics YOLO training output -> per-epoch losses, validation metrics, progress.

The epoch table's header (``Epoch GPU_mem box_loss cls_loss dfl_loss Instances Size``)
names the loss columns, so segment, pose, OBB and classify tables work as well. A row is
redrawn with ``\\r`` after every batch; the redraw that ends with ``\\n`` at n == total
holds the epoch's values -> ``train/<column>`` with the 1-based epoch as printed.

The ``all`` row after a ``Class Images Instances Box(P R mAP50 mAP50-95)`` header ->
``metrics/precision(B)``, ``metrics/recall(B)``, ``metrics/mAP50(B)`` and
``metrics/mAP50-95(B)`` (``(M)`` masks, ``(P)`` pose), the names ``results.csv`` uses;
classification's ``all top1 top5`` -> ``metrics/accuracy_top1`` / ``_top5``. After
"Validating .../best.pt" the ``all`` row is the best model's final check, not an epoch:
it is recorded once as ``final/mAP50(B)`` etc., with the last epoch. Per-class rows are
skipped. Points carry no step: Ultralytics counts epochs only (as ``results.csv``).
"""

from __future__ import annotations

import re
from typing import Any

from tuitrain.metrics import MetricPoint, Progress
from tuitrain.parsers.base import ScanningParser
from tuitrain.parsers.progress_bars import parse_duration, parse_rate, run_eta, to_float

# Ultralytics' own bar (8.3+): "100% ━━━━━━ 4/4 6.8it/s 0.6s" or "25% ━━─── 1/4 3.0it/s 0.4s<1.0s".
# Groups: n, total, rate ("" before the first rate), elapsed, remaining.
_TAIL = re.compile(r"\s*\d+% \S* ?([0-9]{1,18})/([0-9]{1,18})(?: (\S*) ?([^\s<]+)(?:<(\S+))?)?")
# Older releases used tqdm: "100%|██████████| 4/4 [00:01<00:00,  3.20it/s]".
# Groups: n, total, elapsed, remaining, rate.
_TQDM_TAIL = re.compile(
    r"\s*\d+%\|[^|]*\|\s*([0-9]{1,18})/([0-9]{1,18})\s*\[([^<\]]*)<([^,\]]*),\s*([^,\]]*)"
)
_VAL_GROUP = re.compile(r"(\w+)\(P")
_DET_METRICS = ("precision", "recall", "mAP50", "mAP50-95")


# What an epoch row needs for its :class:`Progress`: epoch, total epochs, n, total, the
# rate and remaining texts (made into numbers only for the progress that is kept), and
# whether the bar was recognised at all.
_RowArgs = tuple[int, int, int | None, int | None, str | None, str | None, bool]
_new = tuple.__new__


def _row_progress(args: _RowArgs) -> Progress:
    epoch, total_epochs, n, total, rate_s, remaining_s, bar = args
    rate = remaining = eta = None
    if bar:
        rate, remaining = parse_rate(rate_s), parse_duration(remaining_s)
    if n is not None and total is not None:
        eta = run_eta(rate, total - n, total_epochs - epoch, total, remaining)
    return _new(Progress, (epoch, total_epochs, n, total, rate, eta))


class UltralyticsParser(ScanningParser):
    """Parser for ``yolo train`` / ``model.train()`` console output."""

    name = "ultralytics"

    def __init__(self) -> None:
        self._cols: list[str] | None = None  # loss columns of the current epoch table
        self._names: list[str] = []  # "train/<col>" for each of them
        self._done_epoch: int | None = None  # last epoch whose final row was recorded
        self._val_kind = ""  # "" no validation header pending, "det" or "cls"
        self._val_letters: list[str] = []  # B, M, P: one per group of four metrics
        self._val_epoch: int | None = None  # last epoch whose validation was recorded
        self._final = False  # inside the "Validating best.pt" block
        self._final_done = False
        self._progress_args: _RowArgs | None = None  # set by _scan for an epoch row's progress

    def _progress(self, pending: Any) -> Progress:
        return _row_progress(pending)

    def _scan(self, line: str, final: bool) -> list[MetricPoint] | None:
        """Take one segment in: the metrics it gives. An epoch row leaves what its
        progress needs in ``_progress_args``."""
        cols = self._cols
        if cols is not None:
            head, sep, tail = line.partition(": ")
            if sep:
                parts = head.split()
                if len(parts) == len(cols) + 4:
                    first = parts[0]
                    ep, _, of = first.partition("/")
                    if ep.isdigit() and of.isdigit() and len(first) < 20 and first.isascii():
                        return self._row(parts, tail, int(ep), int(of), final)
        s = line.lstrip()
        if s.startswith("Epoch") and "GPU_mem" in s:
            self._header(s.split())
        elif s.startswith(("Class ", "classes ")):
            self._val_header(s.partition(": ")[0])
        elif final and self._val_kind and s.startswith("all "):
            return self._val_row(s.split())
        elif s.startswith("Validating ") and ".pt" in s:
            self._final = True
        return None

    def _header(self, words: list[str]) -> None:
        if words[:2] != ["Epoch", "GPU_mem"] or words[-2:] != ["Instances", "Size"]:
            return
        self._set_cols(words[2:-2])
        self._final = False
        self._final_done = False

    def _set_cols(self, cols: list[str]) -> None:
        self._cols = cols
        self._names = ["train/" + c for c in cols]

    def _row(
        self, parts: list[str], tail: str, epoch: int, total_epochs: int, final: bool
    ) -> list[MetricPoint] | None:
        n = total = None
        rate_s = remaining_s = None
        m = _TAIL.match(tail)
        if m:
            n_s, total_s, rate_s, _, remaining_s = m.groups()
        else:
            m = _TQDM_TAIL.match(tail)
            if m:
                n_s, total_s, _, remaining_s, rate_s = m.groups()
        if m:  # digits of bounded length: int() cannot fail
            n, total = int(n_s), int(total_s)
        self._progress_args = (epoch, total_epochs, n, total, rate_s, remaining_s, m is not None)
        if final and (n is None or total is None or n >= total) and epoch != self._done_epoch:
            self._done_epoch = epoch
            metrics: list[MetricPoint] = []
            for name, raw in zip(self._names, parts[2:], strict=False):
                value = to_float(raw)
                if value is not None:
                    metrics.append(_new(MetricPoint, (name, value, None, epoch, None)))
            return metrics
        return None

    def _val_header(self, head: str) -> None:
        if "top1" in head:
            self._val_kind, self._val_letters = "cls", []
            return
        letters = [g[0].upper() for g in _VAL_GROUP.findall(head)] or ["B"]
        # A terminal-wide header is cut ("Box(P  R  mAP50  mA…"): the losses tell the rest.
        cols = self._cols or []
        if "M" not in letters and any(c.startswith("seg") for c in cols):
            letters.append("M")
        if "P" not in letters and any(c.startswith(("pose", "kobj")) for c in cols):
            letters.append("P")
        self._val_kind, self._val_letters = "det", letters

    def _val_row(self, words: list[str]) -> list[MetricPoint] | None:
        if self._val_kind == "cls":
            names = ["accuracy_top1", "accuracy_top5"]
            values = words[1:]
        else:
            names = [f"{m}({letter})" for letter in self._val_letters for m in _DET_METRICS]
            values = words[3:]  # after "all", images, instances
        self._val_kind = ""
        epoch = self._done_epoch
        if self._final:
            if self._final_done:
                return None
            self._final_done = True
            prefix = "final/"
        else:
            if epoch is not None and epoch == self._val_epoch:
                return None
            self._val_epoch = epoch
            prefix = "metrics/"
        metrics: list[MetricPoint] = []
        for name, raw in zip(names, values, strict=False):
            value = to_float(raw)
            if value is not None:
                metrics.append(_new(MetricPoint, (prefix + name, value, None, epoch, None)))
        return metrics

    def state(self) -> dict[str, Any]:
        return {
            "cols": self._cols,
            "done_epoch": self._done_epoch,
            "val_kind": self._val_kind,
            "val_letters": list(self._val_letters),
            "val_epoch": self._val_epoch,
            "final": self._final,
            "final_done": self._final_done,
        }

    def restore(self, state: dict[str, Any]) -> None:
        cols = state.get("cols")
        if isinstance(cols, list):
            self._set_cols([str(c) for c in cols])
        else:
            self._cols, self._names = None, []
        self._done_epoch = state.get("done_epoch")
        self._val_kind = str(state.get("val_kind") or "")
        self._val_letters = [str(x) for x in state.get("val_letters") or ()]
        self._val_epoch = state.get("val_epoch")
        self._final = bool(state.get("final"))
        self._final_done = bool(state.get("final_done"))
