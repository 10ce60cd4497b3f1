"""The output of one run, followed live: search, filter, top and bottom, wrap."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input, Static

from tuitrain.ui.widgets.key_footer import KeyFooter
from tuitrain.ui.widgets.log_view import LogView

if TYPE_CHECKING:
    from tuitrain.runs.manager import TrainingManager
    from tuitrain.ui.app import TuitrainApp

REGEX_PREFIX = "re:"


class LogScreen(Screen[None]):
    """A run's ``output.log``; opens a 1 GB log at once and follows it."""

    HELP_TITLE = "Log"
    BINDINGS = [
        Binding("f", "toggle_follow", "Follow"),
        Binding("slash", "ask('search')", "Search", key_display="/"),
        Binding("n", "next_match", "Next"),
        Binding("N", "previous_match", "Previous", key_display="N"),
        Binding("ampersand", "ask('filter')", "Filter", key_display="&"),
        Binding("F", "ask('filter')", "Filter", show=False),
        Binding("g", "top", "Top"),
        Binding("G", "bottom", "Bottom", key_display="G"),
        Binding("w", "toggle_wrap", "Wrap"),
        Binding("escape", "back", "Back"),
    ]
    DEFAULT_CSS = """
    LogScreen #log-title { height: 1; padding: 0 1; background: $panel; text-style: bold; }
    LogScreen #log-status { height: 1; padding: 0 1; background: $panel; color: $text-muted; }
    LogScreen LogView { height: 1fr; }
    LogScreen #log-query { dock: bottom; display: none; }
    LogScreen #log-query.-shown { display: block; }
    """

    def __init__(self, experiment_id: int) -> None:
        super().__init__()
        self.experiment_id = experiment_id
        self.asking: str | None = None  # "search" or "filter" while the input is shown
        self.search_text = ""
        self.filter_text = ""

    def compose(self) -> ComposeResult:
        yield Static(f"#{self.experiment_id}", id="log-title", markup=False)
        yield Static("", id="log-status", markup=False)
        yield Input(id="log-query", compact=True)
        yield KeyFooter()

    @property
    def tuitrain(self) -> TuitrainApp:
        return cast("TuitrainApp", self.app)

    def on_mount(self) -> None:
        if self.tuitrain.manager_ready:
            self._open(self.tuitrain.manager)
        else:
            self.tuitrain.engine_ready.subscribe(self, self._open)

    def _open(self, manager: TrainingManager) -> None:
        from tuitrain.executors.base import OUTPUT_LOG

        if self.query(LogView):
            return
        try:
            exp = manager.get_experiment(self.experiment_id)
        except LookupError as exc:
            self.notify(str(exc), severity="error")
            return
        path = Path(exp.run_dir) / OUTPUT_LOG
        if exp.id is not None and exp.host in manager.executors:  # a remote run's local copy
            path = Path(manager.executors[exp.host].output_log(exp.id, exp.run_dir))
        shown = Path("…", *path.parts[-3:])  # runs/<id>/output.log: the home is known
        self.query_one("#log-title", Static).update(f"#{exp.id} {exp.name} · {shown}")
        view = LogView(path, id="log-view")
        self.mount(view, after="#log-status")
        view.focus()

    @property
    def view(self) -> LogView:
        return self.query_one(LogView)

    # -- status line -----------------------------------------------------------------
    def on_log_view_changed(self) -> None:
        self.query_one("#log-status", Static).update(self.status_text())

    def status_text(self) -> str:
        if not self.query(LogView):
            return "opening…"
        view = self.view
        index, parts = view.index, []
        count = index.line_count
        if not index.done:
            parts.append(f"indexing {index.progress:.0%} ({count:,} lines so far)")
        else:
            parts.append(f"{count:,} lines" if count else "no output yet")
        parts.append("following" if view.follow else "paused (f follows)")
        if view.line_filter is not None:
            busy = "" if view.line_filter.done else "…"
            parts.append(f"filter '{self.filter_text}': {len(view.line_filter):,}{busy}")
        if view.pattern is not None:
            where = "" if view.current_match is None else f" at line {view.current_match + 1:,}"
            where = " (searching…)" if view.searching else where
            parts.append(f"search '{self.search_text}'{where}")
        if view.wrap:
            parts.append("wrap")
        return " · ".join(parts)

    # -- actions ---------------------------------------------------------------------
    def action_toggle_follow(self) -> None:
        self.view.follow = not self.view.follow

    def action_toggle_wrap(self) -> None:
        self.view.wrap = not self.view.wrap
        self.on_log_view_changed()

    def action_top(self) -> None:
        self.view.follow = False
        self.view.scroll_home(animate=False)

    def action_bottom(self) -> None:
        self.view.follow = True

    def action_ask(self, what: str) -> None:
        self.asking = what
        query = self.query_one("#log-query", Input)
        query.placeholder = f"{what} (empty clears; {REGEX_PREFIX}… for a regular expression)"
        query.value = self.search_text if what == "search" else self.filter_text
        query.add_class("-shown")
        query.focus()

    def action_next_match(self) -> None:
        if self.view.pattern is None:
            self.action_ask("search")
        else:
            self.view.search(self.view.pattern)
            self.on_log_view_changed()

    def action_previous_match(self) -> None:
        if self.view.pattern is not None:
            self.view.search(self.view.pattern, backwards=True)
            self.on_log_view_changed()

    def action_back(self) -> None:
        if self.asking is not None:
            self._close_input()
        else:
            self.dismiss()

    def _close_input(self) -> None:
        self.asking = None
        self.query_one("#log-query", Input).remove_class("-shown")
        if self.query(LogView):
            self.view.focus()

    @on(Input.Submitted, "#log-query")
    def _submitted(self, event: Input.Submitted) -> None:
        from tuitrain.output.log_filter import compile_query

        what, text = self.asking, event.value.strip()
        regex = text.startswith(REGEX_PREFIX)
        try:
            pattern = compile_query(text.removeprefix(REGEX_PREFIX), regex=regex) if text else None
        except re.error as exc:
            self.notify(f"Not a regular expression: {exc}", severity="error")
            return
        self._close_input()
        if what == "filter":
            self.filter_text = text
            self.view.set_filter(pattern)
        elif pattern is None:
            self.search_text = ""
            self.view.clear_search()
        else:
            self.search_text = text
            self.view.current_match = None
            self.view.search(pattern)
        self.on_log_view_changed()

    def on_log_view_search_done(self, event: LogView.SearchDone) -> None:
        if event.line is None:
            self.notify(f"'{self.search_text}' not found", severity="warning")
        elif event.wrapped:
            self.notify("Search wrapped around", timeout=2)
        self.on_log_view_changed()
