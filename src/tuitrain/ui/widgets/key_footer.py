"""A footer that wraps its keys onto a second (third) row instead of cutting them.

Textual's Footer is one row that scrolls sideways: at 80 columns most of a screen's
keys would be out of sight. This one packs the same keys into as many rows as they
need, so every key stays visible in 80x24.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.containers import HorizontalGroup
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

MAX_ROWS = 3


class KeyFooter(Footer):
    """The active bindings of the screen, wrapped to the width."""

    DEFAULT_CSS = """
    KeyFooter {
        layout: vertical;
        height: auto;
        max-height: 3;
        HorizontalGroup.key-row { height: 1; width: 1fr; }
        HorizontalGroup.key-row FooterKey { margin-right: 1; }
        HorizontalGroup.key-row FooterKey.-command-palette {
            dock: right;
            margin-right: 0;
            border-left: none;
        }
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id, compact=True)
        self._packed_width = 0

    def _keys(self) -> list[FooterKey]:
        keys: list[FooterKey] = []
        seen: set[str] = set()
        palette = self.app.COMMAND_PALETTE_BINDING if self.app.ENABLE_COMMAND_PALETTE else ""
        palette_key: FooterKey | None = None
        for key, (_node, binding, enabled, tooltip) in self.screen.active_bindings.items():
            if key == palette and self.show_command_palette:
                palette_key = FooterKey(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    disabled=not enabled,
                    classes="-command-palette",
                )
                continue
            if not binding.show or binding.action in seen:
                continue
            seen.add(binding.action)
            keys.append(
                FooterKey(
                    binding.key,
                    self.app.get_key_display(binding),
                    binding.description,
                    binding.action,
                    disabled=not enabled,
                    tooltip=tooltip,
                )
            )
        if palette_key is not None:
            keys.append(palette_key)
        return keys

    @staticmethod
    def _width(key: FooterKey) -> int:
        # Compact FooterKey: "key description" plus a one-cell margin.
        return cell_len(key.key_display) + 1 + cell_len(key.description) + 1

    def compose(self) -> ComposeResult:
        if not self._bindings_ready:
            return
        width = self.size.width or self.app.size.width
        self._packed_width = width
        rows: list[list[FooterKey]] = [[]]
        used = 0
        for key in self._keys():
            need = self._width(key)
            if rows[-1] and used + need > width and len(rows) < MAX_ROWS:
                rows.append([])
                used = 0
            rows[-1].append(key)
            used += need
        for row in rows:
            yield HorizontalGroup(*row, classes="key-row")

    def on_resize(self, event: events.Resize) -> None:
        if event.size.width != self._packed_width and self._bindings_ready:
            self.call_after_refresh(self.recompose)
