"""Pick what a chart shows: the losses, the learning rate or one metric."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class MetricPickerScreen(ModalScreen[str | None]):
    """Dismisses with the chosen view (enter) or None (escape)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    MetricPickerScreen { align: center middle; }
    MetricPickerScreen OptionList {
        width: 60;
        max-width: 100%;
        height: auto;
        max-height: 80%;
        border: thick $accent 60%;
        border-title-align: center;
        background: $panel;
    }
    """

    def __init__(self, choices: list[str], current: str | None = None) -> None:
        super().__init__()
        self.choices = choices
        self.current = current

    def compose(self) -> ComposeResult:
        options = OptionList(*(Option(c, id=c) for c in self.choices))
        options.border_title = "Show (enter picks, escape cancels)"
        if self.current in self.choices:
            options.highlighted = self.choices.index(self.current)
        yield options

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
