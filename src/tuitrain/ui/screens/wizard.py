"""The new-training wizard: dataset, config, parameters, confirmation.

Every value is checked as typed, with the reason beside its field; Next is refused
while a page has a problem, and nothing starts before Start: the screen dismisses
with the config for ``TrainingManager.start_training`` (the app starts it, so the
start outlives this screen), or None when cancelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Button, ContentSwitcher, Input, Select, Static

from tuitrain.executors.base import Executor
from tuitrain.frameworks import RECIPES, complete_config
from tuitrain.gpus.request import apply_gpu_request
from tuitrain.ui.screens.wizard_dataset_page import DatasetPage
from tuitrain.ui.screens.wizard_datasets import DatasetCatalog, StoreDatasetCatalog
from tuitrain.ui.screens.wizard_gpus import (
    HostGpusCounted,
    count_host_gpus,
    engine_executors,
    gpus_problem,
)
from tuitrain.ui.screens.wizard_pages import (
    HOST_NOTE,
    ConfigPage,
    ConfirmPage,
    ParamsPage,
    default_run_name,
    field_id,
    host_problem,
)
from tuitrain.ui.widgets.key_footer import KeyFooter
from tuitrain.ui.widgets.param_field import ParamField

PAGES = ("dataset", "config", "params", "confirm")
TITLES = ("Dataset", "Config", "Parameters", "Confirm")
# Parameters checked before leaving each page (the dataset page has its own check).
PAGE_GROUPS = {1: ("model",), 2: ("model", "training"), 3: ("model", "training")}


class NewTrainingScreen(Screen[dict[str, Any] | None]):
    """Four pages; dismisses with the run's config on Start, None on cancel."""

    HELP_TITLE = "New training"
    # The path field holds the focus from the first frame: what a user types while the
    # store's datasets load lands there (the list takes the focus once it has any).
    AUTO_FOCUS = "#dataset-path"
    # Priority: scrolling containers and lists bind the page keys themselves.
    # (ctrl+p is the app's command palette, checked before any screen's keys.)
    BINDINGS = [
        Binding("ctrl+n", "next", "Next", priority=True, tooltip="Next page"),
        Binding("pagedown", "next", "Next", show=False, priority=True),
        Binding("pageup", "back", "Back", priority=True, tooltip="Previous page"),
        Binding("ctrl+s", "start", "Start", priority=True, tooltip="Start the training"),
        Binding("escape", "cancel", "Cancel", tooltip="Close without starting anything"),
    ]
    DEFAULT_CSS = """
    NewTrainingScreen #steps { height: 1; padding: 0 1; background: $boost; }
    NewTrainingScreen ContentSwitcher { height: 1fr; }
    NewTrainingScreen .framework-group { height: auto; display: none; }
    NewTrainingScreen .framework-group.-current { display: block; }
    """

    def __init__(
        self,
        catalog: DatasetCatalog | None = None,
        *,
        home: Path | None = None,
        base_config: Mapping[str, Any] | None = None,
        hosts: list[str] | None = None,
    ) -> None:
        """``catalog``: where datasets come from (the store in ``home`` by default);
        ``base_config``: keys added to every config (the training environment's
        ``python`` or ``command_prefix``); ``hosts``: where a run may go."""
        super().__init__()
        self.catalog: DatasetCatalog = catalog or StoreDatasetCatalog(home)
        self.base_config = dict(base_config or {})
        self.hosts = hosts
        self.page = 0
        self.framework = "yolo"
        self._guessed_for: object = None
        self._auto_name = ""
        self._gpu_limits: dict[str, int | None] = {}  # per host, once counted

    def compose(self) -> ComposeResult:
        yield Static("", id="steps")
        with ContentSwitcher(initial="dataset"):
            yield DatasetPage(self.catalog, id="dataset")
            yield ConfigPage(id="config")
            yield ParamsPage(self.hosts or self._engine_hosts(), id="params")
            yield ConfirmPage(id="confirm")
        yield KeyFooter()

    def _engine_hosts(self) -> list[str]:
        """The hosts the app's engine has executors for ("local" until it is open)."""
        from tuitrain.ui.app import TuitrainApp

        app = self.app
        if isinstance(app, TuitrainApp) and app.manager_ready:
            return sorted(app.manager.executors, key=lambda h: (h != "local", h))
        return ["local"]

    def on_mount(self) -> None:
        self._show_framework()
        self._show_page(0)
        self._count_gpus(engine_executors(self.app))

    @work(thread=True, exclusive=True, group="wizard-gpus", exit_on_error=False)
    def _count_gpus(self, executors: dict[str, Executor]) -> None:
        self.post_message(HostGpusCounted(count_host_gpus(executors)))

    @on(HostGpusCounted)
    def _gpus_counted(self, event: HostGpusCounted) -> None:
        self._gpu_limits.update(event.counts)
        if self.page >= 2:
            self._revalidate()

    @property
    def datasets(self) -> DatasetPage:
        return self.query_one(DatasetPage)

    # -- framework and parameters -------------------------------------------------------
    @on(Select.Changed, "#framework")
    def _framework_changed(self, event: Select.Changed) -> None:
        self.framework = str(event.value)
        self._show_framework()
        self._revalidate()

    def _show_framework(self) -> None:
        current = (f"model-{self.framework}", f"train-{self.framework}")
        for group in self.query(".framework-group"):
            group.set_class(group.id in current, "-current")

    def _fields(self) -> list[ParamField]:
        prefix = field_id(self.framework, "")
        return [f for f in self.query(ParamField) if (f.id or "").startswith(prefix)]

    def _raw_params(self) -> dict[str, object]:
        raw: dict[str, object] = {f.spec.name: f.raw for f in self._fields()}
        dataset = self.datasets.dataset
        if dataset is not None:
            raw[RECIPES[self.framework].dataset_param] = dataset.training_path(self.framework)
        return raw

    def _context_config(self) -> dict[str, Any]:
        host = str(self.query_one("#host", Select).value)
        return {**self.base_config, "framework": self.framework, "host": host}

    @on(ParamField.Changed)
    @on(Select.Changed, "#host")
    def _param_changed(self) -> None:
        self._revalidate()

    def _gpus(self) -> tuple[int, str | None]:
        """The GPUs asked for and why they cannot be, or None."""
        gpus_field = self.query_one("#gpus", ParamField)
        count, reason = gpus_field.spec.validate(gpus_field.raw)
        if reason is not None:
            return 0, reason
        config = {**self._context_config(), "params": self._raw_params()}
        return int(count), gpus_problem(int(count), config, self._gpu_limits)

    def _revalidate(self) -> dict[str, str]:
        """Check the framework's values together (paths on disk too); show every reason
        beside its field, the dataset's beside the framework. Returns the reasons."""
        recipe = RECIPES[self.framework]
        _values, errors = recipe.check(self._raw_params(), recipe.context(self._context_config()))
        for param_field in self._fields():
            param_field.show_error(errors.get(param_field.spec.name))
        dataset = self.datasets.dataset
        problem = dataset.framework_problem(self.framework) if dataset else None
        problem = problem or errors.get(recipe.dataset_param)
        if problem:
            errors[recipe.dataset_param] = problem
        note = self.query_one("#framework-note", Static)
        note.update(problem or recipe.dataset_hint)
        note.set_class(bool(problem), "-invalid")
        count, gpus_error = self._gpus()
        self.query_one("#gpus", ParamField).show_error(gpus_error)
        if gpus_error is not None:
            errors["gpus"] = gpus_error
        host = str(self.query_one("#host", Select).value)
        host_error = host_problem(host, count) if gpus_error is None else None
        host_note = self.query_one("#host-note", Static)
        host_note.update(host_error or HOST_NOTE)
        host_note.set_class(host_error is not None, "-invalid")
        if host_error is not None:
            errors["host"] = host_error
        return errors

    # -- pages -----------------------------------------------------------------------
    def _page_problem(self) -> tuple[str, str] | None:
        """The first problem of the current page: (reason, id of the widget to fix)."""
        if self.page == 0:
            reason = self.datasets.problem()
            return (reason, self.datasets.first_focus[1:]) if reason else None
        errors = self._revalidate()
        recipe = RECIPES[self.framework]
        if recipe.dataset_param in errors:
            return errors[recipe.dataset_param], "framework"
        for spec in recipe.params:
            if spec.group in PAGE_GROUPS[self.page] and spec.name in errors:
                return errors[spec.name], field_id(self.framework, spec.name)
        if self.page >= 2 and "gpus" in errors:
            return errors["gpus"], "gpus"
        if self.page >= 2 and "host" in errors:
            return errors["host"], "host"
        if self.page == 3 and not self.query_one("#run-name", Input).value.strip():
            return "a run needs a name", "run-name"
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keys that do nothing on this page are shown dimmed (None)."""
        last = len(PAGES) - 1
        enabled = {"next": self.page < last, "back": self.page > 0, "start": self.page == last}
        return True if enabled.get(action, True) else None

    def action_next(self) -> None:
        if self.page == len(PAGES) - 1:
            return
        problem = self._page_problem()
        if problem is None:
            self._show_page(self.page + 1)
            return
        reason, widget_id = problem
        self.notify(reason, title="Fix this first", severity="error", timeout=4)
        target = self.query_one(f"#{widget_id}")
        if isinstance(target, ParamField):
            target.focus_editor()
        else:
            target.focus()

    def action_back(self) -> None:
        if self.page > 0:
            self._show_page(self.page - 1)

    @on(DatasetPage.Picked)
    def _dataset_picked(self) -> None:
        self.action_next()

    def _show_page(self, page: int) -> None:
        self.page = page
        self.refresh_bindings()
        self.query_one(ContentSwitcher).current = PAGES[page]
        steps = [f"{i + 1} {title}" for i, title in enumerate(TITLES)]
        steps[page] = f"[reverse] {steps[page]} [/]"
        self.query_one("#steps", Static).update("New training   " + "  ".join(steps))
        dataset = self.datasets.dataset
        if page == 1 and dataset is not None and dataset != self._guessed_for:
            # A new dataset: propose its framework (a choice made for it is kept).
            self._guessed_for = dataset
            self.query_one("#framework", Select).value = dataset.guess_framework()
        if page >= 1:
            self._revalidate()
        if page == 3:
            self._fill_confirmation()
        self.call_after_refresh(self._focus_page)

    def _focus_page(self) -> None:
        first = {0: self.datasets.first_focus, 1: "#framework", 3: "#run-name"}.get(self.page)
        if first is not None:
            self.query_one(first).focus()
            return
        fields = [f for f in self._fields() if f.spec.group == "training"]
        if fields:
            fields[0].focus_editor()

    # -- confirmation ----------------------------------------------------------------
    def _fill_confirmation(self) -> None:
        name_input = self.query_one("#run-name", Input)
        dataset = self.datasets.dataset
        if dataset is not None and name_input.value.strip() in ("", self._auto_name):
            # The name follows the choices until the user writes one.
            self._auto_name = default_run_name(self.framework, self._raw_params(), dataset)
            name_input.value = self._auto_name
        self._update_command()

    @on(Input.Changed, "#run-name")
    def _update_command(self) -> None:
        page = self.query_one(ConfirmPage)
        try:
            config = self.get_config()
        except ValueError as exc:
            page.show_problem(str(exc))
            return
        assert self.datasets.dataset is not None
        page.show_config(config, self.datasets.dataset)

    def get_config(self) -> dict[str, Any]:
        """The config for ``TrainingManager.start_training``: name, framework, host,
        gpus, params (all of them, parsed), command, env, parser and dataset_id (for a
        dataset of the store). ``ValueError`` with the first reason while something
        is wrong."""
        dataset = self.datasets.dataset
        if dataset is None:
            raise ValueError("choose a dataset or type a path")
        name = self.query_one("#run-name", Input).value.strip()
        if not name:
            raise ValueError("a run needs a name")
        problem = dataset.framework_problem(self.framework)
        if problem:
            raise ValueError(problem)
        gpus, gpus_error = self._gpus()
        if gpus_error is not None:
            raise ValueError(gpus_error)
        config: dict[str, Any] = {
            **self._context_config(),
            "name": name,
            "params": self._raw_params(),
            "gpus": gpus,
        }
        if dataset.id is not None:
            config["dataset_id"] = dataset.id
        # The device the GPUs are seen as (0,1,...), as the engine will write it.
        return complete_config(apply_gpu_request(config))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "run-name":
            self.action_start()
        else:
            self.action_next()

    @on(Button.Pressed, "#start")
    def _start_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_start()

    def action_start(self) -> None:
        if self.page != len(PAGES) - 1:
            return
        try:
            config = self.get_config()
        except ValueError as exc:
            self.notify(str(exc), title="Cannot start", severity="error")
            return
        self.dismiss(config)

    def action_cancel(self) -> None:
        self.dismiss(None)
