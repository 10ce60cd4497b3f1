"""Two or more runs side by side: one metric overlaid, and how their configs differ."""

from __future__ import annotations

import json
from collections import Counter
from typing import TYPE_CHECKING, cast

from rich.style import Style
from rich.table import Table
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from tuitrain.ui.screens.run_detail import flatten_config, load_run, theme_style
from tuitrain.ui.widgets.key_footer import KeyFooter
from tuitrain.ui.widgets.metrics_plot import (
    PLOT_BINDINGS,
    MetricsPlot,
    PlotActions,
    Point,
    is_loss,
)

if TYPE_CHECKING:
    from tuitrain.runs.events import RunEvent
    from tuitrain.store.models import Experiment
    from tuitrain.ui.app import TuitrainApp

RunData = tuple["Experiment", dict[str, list[Point]]]


def config_diff(configs: list[dict[str, str]]) -> list[tuple[str, list[str], bool]]:
    """(key, value per run, differs) rows: differing keys first, each group by key."""
    keys = sorted({k for c in configs for k in c})
    rows = [(k, [c.get(k, "–") for c in configs]) for k in keys]
    marked = [(k, values, len(set(values)) > 1) for k, values in rows]
    return sorted(marked, key=lambda row: not row[2])


def default_metric(names_per_run: list[set[str]]) -> str | None:
    """A metric every run has, a validation loss if possible, else the most shared."""
    counts = Counter(n for names in names_per_run for n in names)
    ranked = sorted(
        counts,
        key=lambda n: (-counts[n], not is_loss(n), "val" not in n.lower(), n),
    )
    return ranked[0] if ranked else None


class CompareScreen(PlotActions, Screen[None]):
    """One metric of several runs on one chart, and a diff of their configs."""

    HELP_TITLE = "Compare"
    BINDINGS = [
        *PLOT_BINDINGS,
        Binding("d", "toggle_differences", "Only differences"),
        Binding("escape", "back", "Back"),
    ]
    DEFAULT_CSS = """
    CompareScreen #compare-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    CompareScreen MetricsPlot { height: 1fr; min-height: 8; }
    CompareScreen #compare-config { height: 10; max-height: 40%; border: round $primary 60%; padding: 0 1; }
    """

    class Loaded(Message):
        def __init__(self, runs: list[RunData]) -> None:
            super().__init__()
            self.runs = runs

    def __init__(self, experiment_ids: list[int]) -> None:
        super().__init__()
        self.experiment_ids = list(experiment_ids)
        self.runs: list[RunData] = []
        self.metric: str | None = None
        self.only_differences = False
        self.shown_config: list[tuple[str, list[str], bool]] = []  # (key, values, differs)

    def compose(self) -> ComposeResult:
        ids = " · ".join(f"#{i}" for i in self.experiment_ids)
        yield Static(f"Compare {ids}", id="compare-title", markup=False)
        yield MetricsPlot(id="compare-plot")
        with VerticalScroll(id="compare-config"):
            yield Static("loading…", id="compare-config-text")
        yield KeyFooter()

    @property
    def tuitrain(self) -> TuitrainApp:
        return cast("TuitrainApp", self.app)

    @property
    def plot(self) -> MetricsPlot:
        return self.query_one(MetricsPlot)

    def on_mount(self) -> None:
        self.query_one("#compare-config").border_title = "Config (differences highlighted)"
        self.plot.empty_text = "no run has this metric"
        self.tuitrain.run_events.subscribe(self, self._on_run_events)
        if self.tuitrain.manager_ready:
            self._load()
        else:
            self.tuitrain.engine_ready.subscribe(self, lambda _: self._load())

    @work(thread=True, exclusive=True, group="compare", exit_on_error=False)
    def _load(self) -> None:
        manager = self.tuitrain.manager
        self.post_message(self.Loaded([load_run(manager, i) for i in self.experiment_ids]))

    def on_compare_screen_loaded(self, event: Loaded) -> None:
        self.runs = event.runs
        names = " · ".join(f"#{exp.id} {exp.name}" for exp, _ in self.runs)
        self.query_one("#compare-title", Static).update(f"Compare {names}")
        if self.metric is None:
            self.metric = default_metric([set(series) for _, series in self.runs])
        self._show_metric()
        self._render_config()

    @staticmethod
    def label(exp: Experiment) -> str:
        return f"#{exp.id} {exp.name}"

    def _show_metric(self) -> None:
        plot = self.plot
        plot.series.clear()
        for exp, series in self.runs:
            plot.set_points(self.label(exp), series.get(self.metric or "", []))
        labels = [self.label(exp) for exp, _ in self.runs]
        missing = [f"#{exp.id}" for exp, series in self.runs if not series.get(self.metric or "")]
        title = self.metric or "no metrics"
        plot.show(title + (f" (none in {', '.join(missing)})" if missing else ""), labels)

    def _on_run_events(self, events: list[RunEvent]) -> None:
        from tuitrain.runs.events import MetricsUpdated

        by_id = {exp.id: (exp, series) for exp, series in self.runs}
        for event in events:
            if isinstance(event, MetricsUpdated) and event.experiment_id in by_id:
                exp, series = by_id[event.experiment_id]
                for m in event.metrics:
                    point = Point(m.step, m.epoch, m.value)
                    series.setdefault(m.name, []).append(point)
                    if m.name == self.metric:
                        self.plot.add_points(self.label(exp), [point])

    def _render_config(self) -> None:
        differs = theme_style(self.app, "warning", bold=True)
        same = Style(dim=True)
        table = Table(box=None, padding=(0, 1), expand=True, show_edge=False)
        table.add_column("key", no_wrap=True, style="bold")
        for exp, _ in self.runs:
            table.add_column(self.label(exp), overflow="fold", ratio=1)
        configs = [flatten_config(json.loads(exp.config_json or "{}")) for exp, _ in self.runs]
        rows = config_diff(configs)
        self.shown_config = [row for row in rows if row[2] or not self.only_differences]
        for key, values, different in self.shown_config:
            table.add_row(key, *values, style=differs if different else same)
        self.query_one("#compare-config-text", Static).update(table)

    # -- actions ---------------------------------------------------------------------
    def action_pick_metric(self) -> None:
        from tuitrain.ui.screens.metric_picker import MetricPickerScreen

        counts = Counter(n for _, series in self.runs for n in series)
        choices = sorted(counts, key=lambda n: (-counts[n], n))

        def picked(metric: str | None) -> None:
            if metric is not None:
                self.metric = metric
                self._show_metric()

        self.app.push_screen(MetricPickerScreen(choices, self.metric), picked)

    def action_toggle_differences(self) -> None:
        self.only_differences = not self.only_differences
        self._render_config()

    def action_back(self) -> None:
        self.dismiss()
