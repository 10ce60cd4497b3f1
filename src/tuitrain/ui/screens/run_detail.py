"""One run: its state and config, why it failed, and its curves, live."""

from __future__ import annotations

import json
import shlex
from typing import TYPE_CHECKING, Any, cast

from rich.style import Style
from rich.text import Text
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.color import Color, ColorParseError
from textual.containers import Horizontal, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static

from tuitrain.ui.widgets.key_footer import KeyFooter
from tuitrain.ui.widgets.metrics_plot import (
    LOSSES,
    PLOT_BINDINGS,
    MetricsPlot,
    PlotActions,
    Point,
    view_members,
    views,
)

if TYPE_CHECKING:
    from tuitrain.runs.events import RunEvent
    from tuitrain.runs.manager import TrainingManager
    from tuitrain.store.models import Experiment
    from tuitrain.ui.app import TuitrainApp

FIRST_KEYS = ("name", "framework", "host", "command", "dataset_id", "parser")


def flatten_config(config: dict[str, Any], prefix: str = "") -> dict[str, str]:
    """``{"params": {"epochs": 3}}`` -> ``{"params.epochs": "3"}``; commands joined."""
    flat: dict[str, str] = {}
    ordered = sorted(
        config,
        key=lambda k: (k not in FIRST_KEYS, FIRST_KEYS.index(k) if k in FIRST_KEYS else 0, k),
    )
    for key in ordered:
        value = config[key]
        if isinstance(value, dict) and value:
            flat.update(flatten_config(value, f"{prefix}{key}."))
        elif key == "command" and isinstance(value, list):
            flat[prefix + key] = shlex.join(str(a) for a in value)
        else:
            flat[prefix + key] = value if isinstance(value, str) else json.dumps(value)
    return flat


def theme_style(app: App[Any], name: str, bold: bool = False) -> Style:
    """A Rich style in a colour of the theme (dim when the theme has no plain colour)."""
    try:
        colour = Color.parse(app.get_css_variables().get(name, ""))
    except ColorParseError:
        return Style(dim=True, bold=bold)
    return Style(color=colour.rich_color, bold=bold)


def load_run(
    manager: TrainingManager, experiment_id: int
) -> tuple[Experiment, dict[str, list[Point]]]:
    """The record and every metric series of a run (in a worker thread)."""
    exp = manager.get_experiment(experiment_id)
    series: dict[str, list[Point]] = {}
    for row in manager.store.metrics(experiment_id):
        series.setdefault(row.name, []).append(Point(row.step, row.epoch, row.value))
    return exp, series


class RunDetailScreen(PlotActions, Screen[None]):
    """State, config, error summary and the metrics plot of one experiment."""

    HELP_TITLE = "Run"
    BINDINGS = [
        Binding("l", "logs", "Logs"),
        *PLOT_BINDINGS,
        Binding("s", "stop", "Stop"),
        Binding("escape", "back", "Back"),
    ]
    DEFAULT_CSS = """
    RunDetailScreen #run-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    RunDetailScreen #run-top { height: 8; }
    RunDetailScreen #run-state { width: 46; border: round $primary 60%; padding: 0 1; }
    RunDetailScreen #run-config { width: 1fr; border: round $primary 60%; padding: 0 1; }
    RunDetailScreen #run-error {
        display: none; height: auto; max-height: 6; border: heavy $error; color: $error;
        padding: 0 1;
    }
    RunDetailScreen #run-error.-shown { display: block; }
    RunDetailScreen MetricsPlot { height: 1fr; min-height: 8; }
    """

    class Loaded(Message):
        def __init__(self, exp: Experiment, series: dict[str, list[Point]] | None) -> None:
            super().__init__()
            self.exp, self.series = exp, series

    def __init__(self, experiment_id: int) -> None:
        super().__init__()
        self.experiment_id = experiment_id
        self.exp: Experiment | None = None
        self.view = LOSSES
        self._early: list[RunEvent] = []  # events that came before the first load

    def compose(self) -> ComposeResult:
        yield Static(f"#{self.experiment_id}", id="run-title", markup=False)
        with Horizontal(id="run-top"):
            yield Static("loading…", id="run-state")
            with VerticalScroll(id="run-config"):
                yield Static("", id="run-config-text")
        yield Static("", id="run-error", markup=False)
        yield MetricsPlot(id="run-plot")
        yield KeyFooter()

    @property
    def tuitrain(self) -> TuitrainApp:
        return cast("TuitrainApp", self.app)

    @property
    def plot(self) -> MetricsPlot:
        return self.query_one(MetricsPlot)

    def on_mount(self) -> None:
        self.query_one("#run-state").border_title = "State"
        self.query_one("#run-config").border_title = "Config"
        self.tuitrain.run_events.subscribe(self, self._on_run_events)
        if self.tuitrain.manager_ready:
            self._load(first=True)
        else:
            self.tuitrain.engine_ready.subscribe(self, lambda _: self._load(first=True))
        self.set_interval(1.0, self._tick)

    @work(thread=True, exclusive=True, group="run-detail", exit_on_error=False)
    def _load(self, first: bool = False) -> None:
        exp, series = load_run(self.tuitrain.manager, self.experiment_id)
        self.post_message(self.Loaded(exp, series if first else None))

    def on_run_detail_screen_loaded(self, event: Loaded) -> None:
        self.exp = event.exp
        if event.series is not None:
            for name, points in event.series.items():
                self.plot.set_points(name, points)
            self._show_view(self._default_view())
            early, self._early = self._early, []
            self._on_run_events(early)
        self._render_state()

    def _default_view(self) -> str:
        offered = views(self.plot.series)
        return self.view if self.view in offered else (offered[0] if offered else LOSSES)

    def _show_view(self, view: str) -> None:
        self.view = view
        left, right = view_members(view, self.plot.series)
        self.plot.show(view, left, right)

    def _on_run_events(self, events: list[RunEvent]) -> None:
        from tuitrain.runs.events import MetricsUpdated, RunDataChanged, StepUpdated

        mine = [e for e in events if e.experiment_id == self.experiment_id]
        if self.exp is None:
            self._early += mine
            return
        reload = False
        for event in mine:
            if isinstance(event, RunDataChanged):
                self._load(first=True)  # another process ingested: read every series again
                return
            if isinstance(event, MetricsUpdated):
                known = set(self.plot.series)
                for m in event.metrics:
                    self.plot.add_points(m.name, [Point(m.step, m.epoch, m.value)])
                if set(self.plot.series) != known:
                    self._show_view(self._default_view())
            elif not isinstance(event, StepUpdated) or self.exp.status != "RUNNING":
                reload = True
            else:
                self.exp.progress_json = json.dumps(event.progress.to_json())
                self._render_state()
        if reload:
            self._load()

    def _tick(self) -> None:
        if self.exp is not None and self.exp.status in ("RUNNING", "STARTING"):
            self._render_state()  # duration and ETA move on

    # -- state -----------------------------------------------------------------------
    def _render_state(self) -> None:
        from tuitrain.runs.view import progress_text
        from tuitrain.ui.widgets import run_rows

        exp = self.exp
        if exp is None:
            return
        self.query_one("#run-title", Static).update(
            f"#{exp.id} {exp.name} · {exp.framework} on {exp.host}"
        )
        row = run_rows.RunRow.of(exp)
        colour = theme_style(self.app, run_rows.STATUS_COLOURS.get(exp.status, "muted"), bold=True)
        muted = Style(dim=True)
        state = Text.assemble(("status    ", muted), (exp.status, colour))
        if exp.exit_code is not None:
            state.append(f"  exit code {exp.exit_code}", style=colour if exp.exit_code else muted)
        state.append("\nprogress  ", style=muted)
        state.append_text(run_rows.progress_bar(row, 30, theme_style(self.app, "accent"), muted))
        rows = (
            ("position", progress_text(row.progress)),
            ("metric", run_rows.metric_text(row)),
            ("eta", run_rows.eta_text(row)),
            ("duration", run_rows.duration_text(row)),
            ("started", run_rows.started_text(exp.started_at)),
        )
        for label, value in rows:
            state.append(f"\n{label:<10}", style=muted)
            state.append(value)
        self.query_one("#run-state", Static).update(state)
        config = flatten_config(json.loads(exp.config_json or "{}"))
        text = Text()
        for key, value in config.items():
            text.append(f"{key}: ", style=muted)
            text.append(f"{value}\n")
        self.query_one("#run-config-text", Static).update(text)
        error = self.query_one("#run-error", Static)
        error.update(f"✘ {exp.status}: {exp.error_summary}" if exp.error_summary else "")
        error.set_class(bool(exp.error_summary), "-shown")

    # -- actions ---------------------------------------------------------------------
    def action_logs(self) -> None:
        from tuitrain.ui.screens.logs import LogScreen

        self.app.push_screen(LogScreen(self.experiment_id))

    def action_pick_metric(self) -> None:
        from tuitrain.ui.screens.metric_picker import MetricPickerScreen

        def picked(view: str | None) -> None:
            if view is not None:
                self._show_view(view)

        self.app.push_screen(MetricPickerScreen(views(self.plot.series), self.view), picked)

    def action_stop(self) -> None:
        from tuitrain.ui.screens.confirm import ConfirmScreen

        exp = self.exp
        if exp is None or exp.status not in ("RUNNING", "STARTING", "PENDING", "QUEUED"):
            self.notify("This run is not running", severity="warning")
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self.tuitrain.stop_run(self.experiment_id)

        self.app.push_screen(ConfirmScreen(f"Stop #{exp.id} {exp.name}?"), answered)

    def action_back(self) -> None:
        self.dismiss()
