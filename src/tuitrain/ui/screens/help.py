"""Every key of the screen the help was opened from, and the app's, with what it does.

Built from the live bindings, so it is never out of date with the footer.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static


def binding_groups(screen: Screen[object]) -> list[tuple[str, list[tuple[str, str]]]]:
    """(title, [(key, description)]): the screen's keys (with those its focused
    widgets show in the footer), then the app's."""
    app = screen.app
    # Textual's own screen keys (tab to move focus, copy): known to everyone.
    generic = {b.action for b in Screen.BINDINGS if isinstance(b, Binding)}
    own: list[tuple[str, str]] = []
    everywhere: list[tuple[str, str]] = []
    for node, binding, _enabled, _tooltip in screen.active_bindings.values():
        if not binding.description:
            continue
        if node is not screen and node is not app and not binding.show:
            continue  # a focused widget's own keys (cursor, editing): not this screen's
        if node is screen and binding.action in generic and not binding.show:
            continue
        entry = (app.get_key_display(binding), binding.tooltip or binding.description)
        (everywhere if node is app else own).append(entry)
    title = getattr(screen, "HELP_TITLE", None) or type(screen).__name__
    return [(title, own), ("Everywhere", everywhere)]


class HelpScreen(ModalScreen[None]):
    """The keys of ``screen`` (and the app's). Any of escape, q or ? closes it."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("q", "close", "Close", show=False),
        Binding("question_mark", "close", "Close", show=False, key_display="?"),
    ]

    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 72;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: thick $accent 60%;
        border-title-align: center;
        background: $panel;
        padding: 0 1;
    }
    HelpScreen Static { width: 1fr; }
    """

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__()
        self.groups = binding_groups(screen)

    def compose(self) -> ComposeResult:
        scroll = VerticalScroll()
        scroll.border_title = "Keys (escape closes)"
        with scroll:
            yield Static(self._table())

    def _table(self) -> Table:
        table = Table.grid(padding=(0, 2), expand=True)
        table.add_column("key", style="bold", no_wrap=True, min_width=8)
        table.add_column("description", ratio=1)
        for index, (title, rows) in enumerate(self.groups):
            if index:
                table.add_row("", "")
            table.add_row(Text(title, style="bold underline"), "")
            for key, description in rows:
                table.add_row(Text(key), Text(description))
        return table

    def action_close(self) -> None:
        self.dismiss(None)
