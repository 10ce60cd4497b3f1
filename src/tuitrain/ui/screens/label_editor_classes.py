"""The class picker of the label editor: the dataset's classes, by id; enter picks."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option


class ClassPickerScreen(ModalScreen[int | None]):
    """Returns the picked class id, or None when dismissed with escape."""

    HELP_TITLE = "Class picker"
    BINDINGS = [Binding("escape", "cancel", "Cancel", tooltip="Close without changing the class")]
    DEFAULT_CSS = """
    ClassPickerScreen { align: center middle; }
    ClassPickerScreen > Vertical {
        width: 40; height: auto; max-height: 80%;
        border: thick $accent 60%; background: $panel; padding: 0 1;
    }
    ClassPickerScreen OptionList { height: auto; max-height: 20; }
    """

    def __init__(self, classes: list[str], current: int | None) -> None:
        super().__init__()
        self.class_names = classes
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = "Class (enter picks, escape cancels)"
            yield Static("Pick the class of the selected box", markup=False)
            yield OptionList(
                *(Option(f"{i}  {name}", id=str(i)) for i, name in enumerate(self.class_names)),
                id="class-options",
            )

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        if self.current is not None and 0 <= self.current < len(self.class_names):
            options.highlighted = self.current
        options.focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(event.option.id or 0))

    def action_cancel(self) -> None:
        self.dismiss(None)
