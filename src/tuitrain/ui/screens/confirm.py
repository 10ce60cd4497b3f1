"""A yes/no question before something that cannot be undone (stop, delete)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class ConfirmScreen(ModalScreen[bool]):
    """Dismisses with True (y, enter) or False (n, escape)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("enter", "answer(True)", "Yes", show=False),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "No", show=False),
    ]

    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: auto;
        max-width: 70;
        min-width: 36;
        height: auto;
        border: thick $warning 80%;
        background: $panel;
        padding: 1 2;
    }
    ConfirmScreen #question { width: auto; max-width: 64; margin-bottom: 1; }
    ConfirmScreen Horizontal { width: auto; height: auto; }
    ConfirmScreen Button { margin: 0 1; min-width: 10; }
    """

    def __init__(self, question: str, *, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self._yes = yes
        self._no = no

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, id="question", markup=False)
            with Horizontal():
                # Not focusable: enter always means yes, as the question says; the
                # buttons are for the mouse.
                for button in (
                    Button(f"{self._yes} (y/enter)", id="yes", variant="warning", compact=True),
                    Button(f"{self._no} (n/esc)", id="no", compact=True),
                ):
                    button.can_focus = False
                    yield button

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
