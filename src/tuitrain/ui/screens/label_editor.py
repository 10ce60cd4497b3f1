"""The label editor: a dataset's images (filtered by status), the boxes of the selected
image in pixels and normalised, edited with keys, saved at once (database and label
file), and a preview with the boxes drawn, in the terminal and in an external viewer.

Edits are instant in memory (:class:`ImageLabelEditor`); saving and rendering run in
thread workers (:mod:`label_editor_workers`), each writing the latest state, so holding
an arrow key never waits on the disk.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from tuitrain.datasets.label_edit import ImageEntry, ImageLabelEditor
from tuitrain.ui.screens import label_editor_rows as rows
from tuitrain.ui.screens.label_editor_classes import ClassPickerScreen
from tuitrain.ui.screens.label_editor_keys import EDITOR_BINDINGS
from tuitrain.ui.screens.label_editor_workers import LabelEditorWorkers
from tuitrain.ui.widgets.image_preview import ImagePreview
from tuitrain.ui.widgets.key_footer import KeyFooter


class ListTable(DataTable[str]):
    """A table the screen drives: no focus, so arrows stay the editor's."""

    can_focus = False


class LabelEditorScreen(LabelEditorWorkers):
    """Label the images of one detection dataset."""

    HELP_TITLE = "Label editor"
    BINDINGS = [*EDITOR_BINDINGS]
    DEFAULT_CSS = """
    LabelEditorScreen #label-summary { height: 1; padding: 0 1; background: $boost; }
    LabelEditorScreen #label-images { width: 32; height: 1fr; }
    LabelEditorScreen #label-boxes { height: auto; max-height: 9; }
    LabelEditorScreen #label-preview { height: 1fr; border: round $primary 60%; }
    LabelEditorScreen #label-status { height: 1; padding: 0 1; background: $boost; }
    """

    def __init__(self, dataset_id: int, home: Path | None = None) -> None:
        super().__init__(dataset_id, home)
        self.entries: list[ImageEntry] = []
        self.filter = "all"
        self.shown: list[ImageEntry] = []
        self._editor: ImageLabelEditor | None = None
        self.current_id: int | None = None  # the image asked for (its editor may be opening)
        self.resize_mode = False
        self.new_class = 0

    def compose(self) -> ComposeResult:
        yield Static("Reading the dataset…", id="label-summary", markup=False)
        with Horizontal():
            yield ListTable(id="label-images", cursor_type="row", zebra_stripes=True)
            with Vertical():
                yield ListTable(id="label-boxes", cursor_type="row")
                yield ImagePreview("no image selected", id="label-preview")
        yield Static("", id="label-status", markup=False)
        yield KeyFooter()

    def images_table(self) -> DataTable[str]:
        return self.query_one("#label-images", DataTable)

    def boxes_table(self) -> DataTable[str]:
        return self.query_one("#label-boxes", DataTable)

    def on_mount(self) -> None:
        self.query_one("#label-preview").border_title = "Preview"
        for label, key in rows.IMAGE_COLUMNS:
            self.images_table().add_column(label, key=key)
        for label, key in rows.BOX_COLUMNS:
            self.boxes_table().add_column(label, key=key)
        self._load()

    # -- messages ----------------------------------------------------------------------
    @on(LabelEditorWorkers.Loaded)
    def _loaded(self, event: LabelEditorWorkers.Loaded) -> None:
        self.class_names, self.entries = event.class_names, event.entries
        self._fill_images()
        first = next((e for e in self.entries if e.status == "unlabeled"), None)
        target = first or (self.entries[0] if self.entries else None)
        if target is not None:
            self._go_to(target.image_id)
        self._show_summary()

    @on(DataTable.RowSelected, "#label-images")
    def _clicked(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value is not None:
            self._open_image(int(event.row_key.value))

    @on(LabelEditorWorkers.EditorOpened)
    def _editor_opened(self, event: LabelEditorWorkers.EditorOpened) -> None:
        if event.editor.image_id != self.current_id:
            return  # the user moved on meanwhile
        self._editor = event.editor
        self._show_boxes()
        self._render_preview(event.editor)

    @on(LabelEditorWorkers.LabelsSaved)
    def _saved(self, event: LabelEditorWorkers.LabelsSaved) -> None:
        self._show_status()

    @on(LabelEditorWorkers.PreviewRendered)
    def _preview_rendered(self, event: LabelEditorWorkers.PreviewRendered) -> None:
        if self.editor is not None and event.image_id == self.editor.image_id:
            self.query_one(ImagePreview).show(event.path)

    @on(LabelEditorWorkers.ExternalOpened)
    def _external_opened(self, event: LabelEditorWorkers.ExternalOpened) -> None:
        self.notify(f"Opened {event.what}")

    @on(LabelEditorWorkers.Failed)
    def _failed(self, event: LabelEditorWorkers.Failed) -> None:
        self.notify(event.text, severity="error", timeout=10)
        self._show_status()

    # -- drawing -----------------------------------------------------------------------
    def _fill_images(self) -> None:
        table = self.images_table()
        keep = self.current_id
        table.clear()
        self.shown = rows.visible(self.entries, self.filter)
        for entry in self.shown:
            table.add_row(*rows.image_row(entry), key=str(entry.image_id))
        if keep is not None and any(e.image_id == keep for e in self.shown):
            table.move_cursor(row=table.get_row_index(str(keep)))

    def _show_summary(self) -> None:
        text = f"#{self.dataset_id} · {rows.counts_text(self.entries)} · filter: {self.filter}"
        self.query_one("#label-summary", Static).update(text)

    def _show_boxes(self) -> None:
        editor = self.editor
        table = self.boxes_table()
        table.clear()
        if editor is None:
            return
        for p in editor.pixel_boxes():
            table.add_row(*rows.box_row(p), key=str(p.index))
        if editor.selected is not None:
            table.move_cursor(row=editor.selected)
        self._show_status()

    def _show_status(self) -> None:
        editor = self.editor
        if editor is None:
            return
        width, height = editor.size
        mode = "resize" if self.resize_mode else "move"
        saved = "saving…" if editor.dirty else "saved"
        new_class = self.class_names[self.new_class] if self.class_names else "-"
        text = (
            f"{editor.item.filename} {width}x{height} · {editor.status} · "
            f"{len(editor.boxes)} boxes · arrows {mode} · new: {new_class} · {saved}"
        )
        self.query_one("#label-status", Static).update(text)

    def _edited(self) -> None:
        """After every change: tables, the image's line, save, preview."""
        editor = self.editor
        assert editor is not None
        entry = ImageEntry(editor.image_id, editor.item.filename, editor.status, len(editor.boxes))
        self.entries = [entry if e.image_id == entry.image_id else e for e in self.entries]
        self.shown = [entry if e.image_id == entry.image_id else e for e in self.shown]
        table = self.images_table()
        key = str(entry.image_id)
        if key in table.rows:
            for column, value in zip(("status", "boxes"), rows.image_row(entry)[1:], strict=True):
                table.update_cell(key, column, value)
        self._show_summary()
        self._show_boxes()
        self._save(editor)
        self._render_preview(editor)

    @property
    def editor(self) -> ImageLabelEditor | None:
        """The session of the image shown; None while it opens (keys wait for it)."""
        editor = self._editor
        return editor if editor is not None and editor.image_id == self.current_id else None

    def _go_to(self, image_id: int) -> None:
        self.current_id = image_id
        table = self.images_table()
        if str(image_id) in table.rows:
            table.move_cursor(row=table.get_row_index(str(image_id)))
        self._open_image(image_id)

    def _edit(self, change: str, *args: int) -> None:
        """Apply an edit of the session; its refusal is a one-line notice."""
        editor = self.editor
        if editor is None:
            self.notify("The image is still opening", severity="warning")
            return
        try:
            getattr(editor, change)(*args)
        except ValueError as exc:
            self.notify(str(exc), severity="warning")
            return
        self._edited()

    # -- actions -----------------------------------------------------------------------
    def action_image(self, step: int) -> None:
        if not self.shown:
            return
        ids = [e.image_id for e in self.shown]
        current = self.current_id
        index = ids.index(current) + step if current in ids else 0
        self._go_to(ids[max(0, min(len(ids) - 1, index))])

    def action_next_unlabeled(self) -> None:
        ids = [e.image_id for e in self.entries]
        current = self.current_id
        start = ids.index(current) + 1 if current in ids else 0
        order = self.entries[start:] + self.entries[:start]
        target = next((e for e in order if e.status == "unlabeled"), None)
        if target is None:
            self.notify("Every image is labeled")
            return
        if target not in self.shown:
            self.filter = "all"
            self._fill_images()
            self._show_summary()
        self._go_to(target.image_id)

    def action_filter(self) -> None:
        self.filter = rows.next_filter(self.filter)
        self._fill_images()
        self._show_summary()
        current = self.current_id
        if self.shown and all(e.image_id != current for e in self.shown):
            self._go_to(self.shown[0].image_id)

    def action_box(self, step: int) -> None:
        if self.editor is not None and self.editor.selected is not None:
            self.editor.select(self.editor.selected + step)
            self._show_boxes()

    def action_add(self) -> None:
        self._edit("add", self.new_class)

    def action_delete(self) -> None:
        self._edit("delete")

    def action_number_class(self, class_id: int) -> None:
        if class_id < len(self.class_names):
            self.new_class = class_id
        if self.editor is not None and self.editor.selected is None:
            self._show_status()  # no box: the key picks the class of the next one
            return
        self._edit("set_class", class_id)

    def action_pick_class(self) -> None:
        editor = self.editor
        current = (
            editor.boxes[editor.selected].class_id
            if editor and editor.selected is not None
            else self.new_class
        )

        def picked(class_id: int | None) -> None:
            if class_id is not None:
                self.action_number_class(class_id)

        self.app.push_screen(ClassPickerScreen(self.class_names, current), picked)

    def action_arrow(self, dx: int, dy: int, step: int) -> None:
        self._edit("resize" if self.resize_mode else "move", dx * step, dy * step)

    def action_mode(self) -> None:
        self.resize_mode = not self.resize_mode
        self._show_status()

    def action_undo(self) -> None:
        if self.editor is not None and not self.editor.undo():
            self.notify("Nothing to undo", severity="warning")
            return
        if self.editor is not None:
            self._edited()

    def action_redo(self) -> None:
        if self.editor is not None and not self.editor.redo():
            self.notify("Nothing to redo", severity="warning")
            return
        if self.editor is not None:
            self._edited()

    def action_reviewed(self) -> None:
        self._edit("toggle_reviewed")

    def action_open_preview(self) -> None:
        if self.editor is not None:
            self._open_external(self.editor, "viewer")

    def action_open_tool(self) -> None:
        if self.editor is not None:
            self._open_external(self.editor, "labeling_tool")

    async def action_back(self) -> None:
        editor = self.editor
        if editor is not None and editor.dirty:
            try:  # the last change, written before the database closes
                await asyncio.to_thread(editor.save)
            except (OSError, ValueError) as exc:
                self.notify(f"not saved ({editor.item.filename}): {exc}", severity="error")
                return
        self.dismiss()
