"""The Datasets screen's modals that ask before acting: create a dataset, split one.

Each field is checked as it is typed; its problem shows on a line under it, and enter
(or ctrl+s) does nothing but point at the first problem while there is one. The forms
only ask: the Datasets screen does the work in a thread worker with what they return.
The import form is in :mod:`tuitrain.ui.screens.dataset_import_form`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass
from typing import TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from tuitrain.datasets.errors import DatasetError
from tuitrain.datasets.split import check_ratios
from tuitrain.datasets.store import check_classes, check_name
from tuitrain.ui.widgets.key_footer import KeyFooter

ResultT = TypeVar("ResultT")

FORM_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{
    width: 72; max-width: 100%; height: auto; max-height: 100%;
    border: thick $accent 60%; border-title-align: center;
    background: $panel; padding: 0 1;
}}
{name} .field-label {{ margin-top: 1; color: $text-muted; }}
{name} .field-error {{ color: $error; height: 1; }}
{name} .field-error.-ok {{ color: $success; }}
{name} Input, {name} Select {{ width: 1fr; }}
"""


class DatasetForm(ModalScreen[ResultT | None]):
    """A modal form: labelled fields, a one-line problem under each, submit, cancel.

    Subclasses compose their fields with :meth:`field`, say what is wrong in
    :meth:`problems` (field id -> message) and build the answer in :meth:`answer`.
    """

    SUBMIT = "OK"
    BINDINGS = [
        Binding("ctrl+s", "submit", "Submit", tooltip="Submit the form (enter in a field too)"),
        Binding("escape", "cancel", "Cancel", tooltip="Close the form; nothing is done"),
    ]

    def field(
        self, label: str, widget: Input | Select[str]
    ) -> Iterator[Label | Input | Select[str]]:
        yield Label(label, classes="field-label", markup=False)
        yield widget
        yield Label("", id=f"{widget.id}-error", classes="field-error", markup=False)

    def form_fields(self) -> ComposeResult:
        raise NotImplementedError

    def problems(self) -> dict[str, str]:
        raise NotImplementedError

    def answer(self) -> ResultT:
        raise NotImplementedError

    def hints(self) -> dict[str, str]:
        """What a valid field means (shown where its problem would be)."""
        return {}

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = self.TITLE
            box.border_subtitle = f"enter {self.SUBMIT.lower()} · esc cancel"
            yield from self.form_fields()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.show_problems()

    def value(self, field_id: str) -> str:
        return self.query_one(f"#{field_id}", Input).value

    def show_problems(self) -> dict[str, str]:
        found = self.problems()
        hints = self.hints()
        for label in self.query(".field-error").results(Label):
            field_id = (label.id or "").removesuffix("-error")
            problem = found.get(field_id)
            label.update(f"✘ {problem}" if problem else hints.get(field_id, ""))
            label.set_class(problem is None, "-ok")
        return found

    @on(Input.Changed)
    @on(Select.Changed)
    def _changed(self) -> None:
        self.show_problems()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_submit()

    def action_submit(self) -> None:
        found = self.show_problems()
        if found:
            self.query_one(f"#{next(iter(found))}").focus()
            return
        self.dismiss(self.answer())

    def action_cancel(self) -> None:
        self.dismiss(None)


# -- create --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class CreateRequest:
    name: str
    task: str
    classes: tuple[str, ...]


def parse_classes(text: str) -> list[str]:
    return [c for c in text.split(",")] if text.strip() else []


class CreateDatasetForm(DatasetForm[CreateRequest]):
    """Name, task and class names of a new dataset; the name must be free."""

    TITLE = "New dataset"
    SUBMIT = "Create"
    BINDINGS = [
        Binding("ctrl+s", "submit", "Create", tooltip="Create the dataset (enter in a field)"),
    ]
    DEFAULT_CSS = FORM_CSS.format(name="CreateDatasetForm")

    def __init__(self, taken_names: Collection[str]) -> None:
        super().__init__()
        self.taken = set(taken_names)

    def form_fields(self) -> ComposeResult:
        yield from self.field("Name", Input(placeholder="e.g. pets-2026", id="name"))
        task = Select(
            [("detection (images and boxes)", "detection"), ("audio (RAVE)", "audio")],
            value="detection",
            allow_blank=False,
            id="task",
        )
        yield from self.field("Task", task)
        classes = Input(placeholder="cat, dog, bird", id="classes")
        yield from self.field("Classes, comma-separated, in order", classes)

    @property
    def chosen_task(self) -> str:
        return str(self.query_one("#task", Select).value)

    def problems(self) -> dict[str, str]:
        found: dict[str, str] = {}
        try:
            name = check_name(self.value("name"))
            if name in self.taken:
                found["name"] = f"a dataset named {name!r} already exists"
        except DatasetError as exc:
            found["name"] = str(exc)
        classes = parse_classes(self.value("classes"))
        try:
            check_classes(classes)
            if self.chosen_task == "detection" and not classes:
                found["classes"] = "a detection dataset needs at least one class"
            elif self.chosen_task == "audio" and classes:
                found["classes"] = "an audio dataset has no classes: leave this empty"
        except DatasetError as exc:
            found["classes"] = str(exc)
        return found

    def hints(self) -> dict[str, str]:
        n = len(parse_classes(self.value("classes")))
        return {"classes": f"{n} class{'es' if n != 1 else ''}, ids 0 to {n - 1}" if n else ""}

    def answer(self) -> CreateRequest:
        classes = tuple(c.strip() for c in parse_classes(self.value("classes")))
        return CreateRequest(self.value("name").strip(), self.chosen_task, classes)


# -- split ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class SplitRequest:
    val: float
    test: float
    seed: int


def _ratio(text: str) -> float:
    try:
        return float(text.strip().rstrip("%")) / (100 if text.strip().endswith("%") else 1)
    except ValueError:
        raise DatasetError(f"not a number: {text.strip() or '(empty)'}") from None


class SplitDatasetForm(DatasetForm[SplitRequest]):
    """Val and test ratios and a seed; stratified by class, the same for the same seed."""

    TITLE = "Split"
    SUBMIT = "Split"
    BINDINGS = [
        Binding("ctrl+s", "submit", "Split", tooltip="Split the dataset (enter in a field)"),
    ]
    DEFAULT_CSS = (
        FORM_CSS.format(name="SplitDatasetForm")
        + """
    SplitDatasetForm #split-about { margin-top: 1; color: $text-muted; }
    """
    )

    def __init__(self, dataset_name: str, labeled: int) -> None:
        super().__init__()
        self.dataset_name, self.labeled = dataset_name, labeled

    def form_fields(self) -> ComposeResult:
        yield Static(
            f"{self.dataset_name}: {self.labeled} labeled image(s) dealt into train/val/test, "
            "stratified by class; unlabeled images stay out. Replaces any previous split.",
            id="split-about",
            markup=False,
        )
        yield from self.field("Validation ratio (0-1 or %)", Input("0.2", id="val"))
        yield from self.field("Test ratio", Input("0", id="test"))
        yield from self.field("Seed (same seed, same split)", Input("0", id="seed"))

    def _ratios(self) -> tuple[float, float, dict[str, str]]:
        found: dict[str, str] = {}
        val = test = 0.0
        try:
            val = _ratio(self.value("val"))
        except DatasetError as exc:
            found["val"] = str(exc)
        try:
            test = _ratio(self.value("test") or "0")
        except DatasetError as exc:
            found["test"] = str(exc)
        if not found:
            try:
                check_ratios(val, test)
            except DatasetError as exc:
                message = str(exc).replace("--val", "val").replace("--test", "test")
                found["test" if str(exc).startswith("--test") else "val"] = message
        return val, test, found

    def problems(self) -> dict[str, str]:
        found = self._ratios()[2]
        try:
            int(self.value("seed").strip())
        except ValueError:
            found["seed"] = "the seed is a whole number"
        return found

    def hints(self) -> dict[str, str]:
        val, test, found = self._ratios()
        if found:
            return {}
        n_val, n_test = round(self.labeled * val), round(self.labeled * test)
        about = f"about {self.labeled - n_val - n_test} train, {n_val} val" + (
            f", {n_test} test" if test else ""
        )
        return {"val": about}

    def answer(self) -> SplitRequest:
        val, test, _ = self._ratios()
        return SplitRequest(val, test, int(self.value("seed").strip()))
