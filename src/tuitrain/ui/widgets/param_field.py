"""One recipe parameter on a form: its label, an editor fit for its kind, and beside
it the reason the value is refused (or, while it is fine, what it is for).

Checked as typed against the :class:`~tuitrain.frameworks.ParamSpec`; the form may add
reasons of its own (a path missing on disk) with :meth:`ParamField.show_error`.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.suggester import SuggestFromList
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, SelectionList, Static

from tuitrain.frameworks.params import ParamSpec

Editor = Input | Checkbox | Select[str] | SelectionList[str]


class ParamField(Widget):
    """A labelled, validated editor for one :class:`ParamSpec`."""

    DEFAULT_CSS = """
    ParamField {
        layout: horizontal;
        height: auto;
        margin-bottom: 1;
    }
    ParamField > .param-label { width: 16; padding-right: 1; }
    ParamField > .param-editor { width: 26; }
    ParamField > SelectionList.param-editor { height: auto; max-height: 10; }
    ParamField > .param-note { width: 1fr; padding-left: 1; color: $text-muted; }
    ParamField.-invalid > .param-note { color: $text-error; text-style: bold; }
    ParamField.-invalid > .param-label { color: $text-error; }
    """

    class Changed(Message):
        """The value changed; ``error`` is the spec's reason, or None."""

        def __init__(self, field: ParamField, error: str | None) -> None:
            super().__init__()
            self.field = field
            self.error = error

        @property
        def control(self) -> ParamField:
            return self.field

    def __init__(self, spec: ParamSpec, value: Any = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.spec = spec
        self._initial = spec.default if value is None else value
        self._error: str | None = None

    def compose(self) -> ComposeResult:
        yield Label(self.spec.label, classes="param-label")
        yield self._make_editor()
        yield Static(self.spec.help, classes="param-note", markup=False)

    def _make_editor(self) -> Widget:
        spec, value = self.spec, self._initial
        editor: Widget
        if spec.kind == "bool":
            editor = Checkbox("", bool(value), compact=True)
        elif spec.kind == "choice":
            options = [(c, c) for c in spec.choices]
            editor = Select(options, value=str(value), allow_blank=False, compact=True)
        elif spec.kind == "multi":
            chosen = set(value or ())
            editor = SelectionList[str](*[(c, c, c in chosen) for c in spec.choices], compact=True)
        else:
            suggester = SuggestFromList(spec.choices) if spec.choices else None
            editor = Input(
                spec.display(value),
                placeholder="(none)" if spec.optional else spec.expects(),
                suggester=suggester,
                compact=True,
            )
        editor.add_class("param-editor")
        editor.tooltip = spec.help or None
        return editor

    @property
    def editor(self) -> Widget:
        return self.query_one(".param-editor")

    @property
    def raw(self) -> object:
        """The value as entered, for :meth:`ParamSpec.parse`."""
        editor = self.editor
        if isinstance(editor, Input):
            return editor.value
        if isinstance(editor, Checkbox):
            return editor.value
        if isinstance(editor, Select):
            return editor.value
        if isinstance(editor, SelectionList):
            return list(editor.selected)
        raise TypeError(editor)

    def set_raw(self, value: object) -> None:
        editor = self.editor
        if isinstance(editor, Input):
            editor.value = self.spec.display(value) if not isinstance(value, str) else value
        elif isinstance(editor, Checkbox):
            editor.value = bool(value)
        elif isinstance(editor, Select):
            editor.value = str(value)

    @property
    def error(self) -> str | None:
        return self._error

    def show_error(self, reason: str | None) -> None:
        """Show ``reason`` beside the field (None: the help again)."""
        self._error = reason
        self.set_class(reason is not None, "-invalid")
        note = self.query_one(".param-note", Static)
        note.update(reason if reason is not None else self.spec.help)

    def check(self) -> str | None:
        """Check the value against the spec and show the outcome."""
        _value, reason = self.spec.validate(self.raw)
        self.show_error(reason)
        return reason

    def focus_editor(self) -> None:
        self.editor.focus()

    @on(Input.Changed)
    @on(Checkbox.Changed)
    @on(Select.Changed)
    @on(SelectionList.SelectedChanged)
    def _edited(self, event: Message) -> None:
        event.stop()
        self.post_message(self.Changed(self, self.check()))
