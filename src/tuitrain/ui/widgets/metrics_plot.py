"""Training curves in plotext: losses, learning rate or any metric, live.

Points arrive in batches (the engine's coalesced events); the plot redraws at most
``MAX_FPS`` times a second whatever the rate. Keys of the screen toggle EMA
smoothing, a log scale and the marker: "hd" (quadrant blocks, in every terminal
font) by default, "braille" (finer, needs Braille glyphs) and "dot" on request.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from textual.binding import Binding
from textual.reactive import reactive
from textual_plotext import PlotextPlot

MARKERS = ("hd", "braille", "dot")
MAX_FPS = 4
EMA_WEIGHT = 0.6  # TensorBoard's default smoothing
LOSSES = "losses"  # the view of every loss, train and validation
BATCHES = "batch losses"  # sampled per-batch losses, against the step
LEARNING_RATE = "learning rate"


@dataclass(frozen=True, slots=True)
class Point:
    step: int | None
    epoch: int | None
    value: float


Series = dict[str, list[Point]]


def is_learning_rate(name: str) -> bool:
    low = name.lower()
    return low.startswith("lr") or "learning_rate" in low or low.endswith("/lr")


def is_loss(name: str) -> bool:
    return "loss" in name.lower() and not is_learning_rate(name)


def is_batch_sample(name: str) -> bool:
    """Sampled per-batch values (our runners' ``batch/...``), charted on their own."""
    return name.startswith("batch/")


def views(names: Iterable[str]) -> list[str]:
    """What the metric picker offers: losses and learning rate, then each metric."""
    names = sorted(set(names))
    offered = [LOSSES] if any(map(is_loss, names)) else []
    offered += [LEARNING_RATE] if any(map(is_learning_rate, names)) else []
    if any(is_batch_sample(n) for n in names) and any(not is_batch_sample(n) for n in names):
        offered += [BATCHES]
    return offered + names


def view_members(view: str, names: Iterable[str]) -> tuple[list[str], list[str]]:
    """(left axis, right axis) metric names of a view: the losses view puts the
    learning rate on the right axis; train series before validation ones."""
    names = sorted(set(names), key=lambda n: (not n.lower().startswith("train"), n))
    if view == BATCHES:
        batch = [n for n in names if is_batch_sample(n)]
        return [n for n in batch if is_loss(n)], [n for n in batch if is_learning_rate(n)][:1]
    if any(not is_batch_sample(n) for n in names):
        names = [n for n in names if not is_batch_sample(n)]  # epochs first; batches apart
    if view == LOSSES:
        return [n for n in names if is_loss(n)], [n for n in names if is_learning_rate(n)][:1]
    if view == LEARNING_RATE:
        return [n for n in names if is_learning_rate(n)], []
    return ([view] if view in names else []), []


def ema(values: Sequence[float], weight: float = EMA_WEIGHT) -> list[float]:
    """Exponential moving average with TensorBoard's debiasing; NaN left as NaN."""
    out, last, n = [], 0.0, 0
    for v in values:
        if math.isnan(v):
            out.append(v)
            continue
        last, n = last * weight + (1 - weight) * v, n + 1
        out.append(last / (1 - weight**n))
    return out


def x_axis(points: Iterable[Sequence[Point]]) -> str:
    """ "epoch" when every point has one and no series has two in one epoch (per-batch
    samples would stack up vertically), else "step", else "index"."""
    series_list = [list(series) for series in points]
    every = [p for series in series_list for p in series]
    per_epoch = all(len({p.epoch for p in s}) == len(s) for s in series_list)
    if every and all(p.epoch is not None for p in every) and per_epoch:
        return "epoch"
    if every and all(p.step is not None for p in every):
        return "step"
    return "index"


def xy(points: Sequence[Point], axis: str) -> tuple[list[float], list[float]]:
    """Coordinates to draw (NaN and infinities left out)."""
    xs: list[float] = []
    ys: list[float] = []
    for i, p in enumerate(points):
        if math.isfinite(p.value):
            x = p.epoch if axis == "epoch" else p.step if axis == "step" else i
            xs.append(float(x if x is not None else i))
            ys.append(p.value)
    return xs, ys


class MetricsPlot(PlotextPlot):
    """Curves of named series on a left and an optional right axis."""

    smoothing: reactive[bool] = reactive(False)
    log_scale: reactive[bool] = reactive(False)
    marker: reactive[str] = reactive(MARKERS[0])

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.series: Series = {}
        self.left: list[str] = []
        self.right: list[str] = []
        self.plot_title = ""
        self.empty_text = "no metrics yet"
        self._keys: dict[str, dict[tuple[int | None, int | None], int]] = {}
        self._pending = False
        self.redraws = 0  # how many times the figure was rebuilt (tests and benchmarks)

    # -- data ------------------------------------------------------------------------
    def show(self, title: str, left: list[str], right: list[str] | None = None) -> None:
        """Which series to draw, on which axis."""
        self.plot_title, self.left, self.right = title, left, right or []
        self._redraw()

    def set_points(self, name: str, points: Iterable[Point]) -> None:
        self.series[name], self._keys[name] = [], {}
        self.add_points(name, points)

    def add_points(self, name: str, points: Iterable[Point]) -> None:
        """Append (or replace, for a step already known) and redraw soon."""
        series = self.series.setdefault(name, [])
        keys = self._keys.setdefault(name, {})
        for p in points:
            key = (p.epoch, p.step)
            if key in keys and key != (None, None):
                series[keys[key]] = p
            else:
                keys[key] = len(series)
                series.append(p)
        self.schedule_redraw()

    def schedule_redraw(self) -> None:
        """Redraw within 1/MAX_FPS s, once however many batches come meanwhile."""
        if not self._pending:
            self._pending = True
            self.set_timer(1 / MAX_FPS, self._redraw)

    # -- toggles ---------------------------------------------------------------------
    def cycle_marker(self) -> str:
        self.marker = MARKERS[(MARKERS.index(self.marker) + 1) % len(MARKERS)]
        return self.marker

    def watch_smoothing(self) -> None:
        self._redraw()

    def watch_log_scale(self) -> None:
        self._redraw()

    def watch_marker(self) -> None:
        self._redraw()

    # -- drawing ---------------------------------------------------------------------
    def _redraw(self) -> None:
        self._pending = False
        self.redraws += 1
        plt = self.plt
        plt.clear_figure()
        title = (
            self.plot_title
            + (" · EMA" if self.smoothing else "")
            + (" · log" if self.log_scale else "")
        )
        plt.title(title)
        drawn = [n for n in self.left + self.right if self.series.get(n)]
        if not drawn:
            plt.title(
                f"{self.plot_title}: {self.empty_text}" if self.plot_title else self.empty_text
            )
            self.refresh()
            return
        axis = x_axis(self.series[n] for n in drawn)
        plt.xlabel(axis)
        low_high: list[float] = []
        for name in drawn:
            side = "right" if name in self.right else "left"
            xs, ys = xy(self.series[name], axis)
            if self.smoothing:
                ys = ema(ys)
            if self.log_scale and side == "left":
                pairs = [(x, math.log10(y)) for x, y in zip(xs, ys, strict=True) if y > 0]
                xs, ys = [x for x, _ in pairs], [y for _, y in pairs]
                low_high += ys
            if xs:
                plt.plot(xs, ys, marker=self.marker, yside=side, label=name)
        if self.log_scale and low_high:
            self._log_ticks(min(low_high), max(low_high))
        self.refresh()

    def _log_ticks(self, low: float, high: float) -> None:
        """Ticks at 1, 2 and 5 times powers of ten inside the log10 range drawn on the
        left axis, labelled with the values themselves."""
        decades = range(math.floor(low), math.ceil(high) + 1)
        ticks = [k + math.log10(m) for k in decades for m in (1, 2, 5)]
        inside = [t for t in ticks if low <= t <= high] or [low, high]
        self.plt.yticks(inside, [f"{10**t:.2g}" for t in inside])


# The chart keys of every screen that shows a MetricsPlot ("m" is the screen's own
# metric picker: what it offers differs between one run and several).
PLOT_BINDINGS = [
    Binding("m", "pick_metric", "Metric"),
    Binding("e", "toggle_smoothing", "EMA"),
    Binding("y", "toggle_log_scale", "Log scale"),
    Binding("k", "cycle_marker", "Marker"),
]


class PlotActions:
    """The actions behind PLOT_BINDINGS, for a screen with a ``plot`` property."""

    @property
    def plot(self) -> MetricsPlot:
        raise NotImplementedError

    def action_toggle_smoothing(self) -> None:
        self.plot.smoothing = not self.plot.smoothing

    def action_toggle_log_scale(self) -> None:
        self.plot.log_scale = not self.plot.log_scale

    def action_cycle_marker(self) -> None:
        self.plot.notify(f"Marker: {self.plot.cycle_marker()}", timeout=2)
