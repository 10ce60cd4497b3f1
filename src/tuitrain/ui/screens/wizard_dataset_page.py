"""Page 1 of the new-training wizard: a dataset of the store, or a path.

Listing and checking a store dataset read the database and the disk, so they run in
thread workers that only post messages; an answer about a dataset that is no longer
the chosen one is dropped.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker

from tuitrain.ui.screens.wizard_datasets import (
    DatasetCatalog,
    DatasetCheck,
    DatasetChoice,
    check_path,
    path_choice,
)
from tuitrain.ui.screens.wizard_pages import WizardPage

PATH_OPTION = "path"


class DatasetPage(WizardPage):
    """The dataset to train on: ``dataset`` once chosen, ``check`` once checked."""

    DEFAULT_CSS = """
    DatasetPage #datasets { height: auto; max-height: 10; margin-bottom: 1; }
    DatasetPage #dataset-path { width: 1fr; }
    DatasetPage #dataset-status { height: auto; }
    """

    class Loaded(Message):
        def __init__(self, choices: list[DatasetChoice]) -> None:
            super().__init__()
            self.choices = choices

    class Checked(Message):
        def __init__(self, choice: DatasetChoice, check: DatasetCheck) -> None:
            super().__init__()
            self.choice = choice
            self.check = check

    class Picked(Message):
        """Enter on a dataset: the user is done with this page."""

    def __init__(self, catalog: DatasetCatalog, id: str | None = None) -> None:
        super().__init__(id=id)
        self.catalog = catalog
        self.choices: list[DatasetChoice] = []
        self.dataset: DatasetChoice | None = None
        self.check: DatasetCheck | None = None

    def compose(self) -> ComposeResult:
        yield Static("Which data to train on.", classes="page-intro")
        yield OptionList(Option("Loading the datasets…", disabled=True), id="datasets")
        with Horizontal(classes="row"):
            yield Label("Path")
            yield Input(
                placeholder="a data.yaml, a COCO folder or a RAVE database",
                id="dataset-path",
                compact=True,
            )
        yield Static("", id="dataset-status", markup=False)

    def on_mount(self) -> None:
        self._load()

    @property
    def first_focus(self) -> str:
        return "#datasets" if self.choices else "#dataset-path"

    def problem(self) -> str | None:
        """Why the page cannot be left forward, or None."""
        if self.dataset is None:
            return "choose a dataset or type a path"
        if self.check is None:
            return f"still checking {self.dataset.name}"
        return self.check.errors[0] if self.check.errors else None

    # -- workers -----------------------------------------------------------------------
    @work(thread=True, exclusive=True, exit_on_error=False, group="wizard-datasets")
    def _load(self) -> None:
        self.post_message(self.Loaded(self.catalog.list_datasets()))

    @work(thread=True, exclusive=True, exit_on_error=False, group="wizard-check")
    def _check(self, choice: DatasetChoice) -> None:
        self.post_message(self.Checked(choice, self.catalog.check(choice)))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        from tuitrain.ui.app import report_worker_error

        report_worker_error(self, event)

    # -- choosing ----------------------------------------------------------------------
    @on(Loaded)
    def _loaded(self, message: Loaded) -> None:
        self.choices = message.choices
        options = self.query_one("#datasets", OptionList)
        options.clear_options()
        for choice in self.choices:
            options.add_option(Option(f"{choice.name}  ({choice.detail})", id=str(choice.id)))
        label = "A path on this machine (type it below)"
        path = self.query_one("#dataset-path", Input)
        if not self.choices:
            label = "No datasets in the store yet: type a path below"
            if options.has_focus:
                path.focus()
        elif path.has_focus and not path.value:
            options.focus()  # nothing typed yet: the list is the quicker choice
        options.add_option(Option(label, id=PATH_OPTION))
        options.highlighted = 0

    @on(OptionList.OptionHighlighted, "#datasets")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self._choose(event.option.id)

    @on(OptionList.OptionSelected, "#datasets")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id == PATH_OPTION:
            self.query_one("#dataset-path", Input).focus()
        else:
            self.post_message(self.Picked())

    @on(Input.Changed, "#dataset-path")
    def _path_typed(self, event: Input.Changed) -> None:
        event.stop()
        options = self.query_one("#datasets", OptionList)
        path_index = options.get_option_index(PATH_OPTION) if self.choices else None
        if event.value.strip() and path_index is not None and options.highlighted != path_index:
            options.highlighted = path_index  # chooses the path, through _highlighted
        else:
            self._choose(PATH_OPTION)

    def _choose(self, option_id: str | None) -> None:
        if option_id == PATH_OPTION:
            text = self.query_one("#dataset-path", Input).value
            choice = path_choice(text) if text.strip() else None
        else:
            choice = next((c for c in self.choices if str(c.id) == option_id), None)
        self.dataset, self.check = choice, None
        if choice is None:
            self._show("Choose a dataset, or type a path.", error=False)
        elif choice.id is None:
            self._checked(self.Checked(choice, check_path(choice)))
        else:
            self._show(f"Checking {choice.name}…", error=False)
            self._check(choice)

    @on(Checked)
    def _checked(self, message: Checked) -> None:
        if message.choice != self.dataset:
            return  # about a dataset no longer chosen
        self.check = check = message.check
        lines = [f"✗ {e}" for e in check.errors] + [f"! {w}" for w in check.warnings]
        if check.ok:
            lines.insert(0, f"✓ {message.choice.root}")
        self._show("\n".join(lines), error=not check.ok)

    def _show(self, text: str, error: bool) -> None:
        status = self.query_one("#dataset-status", Static)
        status.update(text)
        status.set_class(error, "error-text")
