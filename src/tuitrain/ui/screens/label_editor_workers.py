"""The label editor's background work: reading the dataset, opening an image's labels,
saving, rendering the preview and opening external programs, each in a thread worker
that reports back with a message named for what happened (or :class:`Failed`).

:class:`LabelEditorWorkers` is the base of :class:`LabelEditorScreen`, which draws and
handles keys; the workers never touch widgets.
"""

from __future__ import annotations

import threading
from pathlib import Path

from textual import work
from textual.message import Message
from textual.screen import Screen
from textual.worker import Worker

from tuitrain.datasets.label_edit import ImageEntry, ImageLabelEditor
from tuitrain.datasets.service import DatasetService
from tuitrain.paths import tuitrain_home
from tuitrain.preview import render_boxes
from tuitrain.ui.app import report_worker_error
from tuitrain.viewer import open_external


class LabelEditorWorkers(Screen[None]):
    """The dataset's service and the workers of the label editor."""

    class Loaded(Message, bubble=False):
        def __init__(self, classes: list[str], entries: list[ImageEntry]) -> None:
            super().__init__()
            self.class_names, self.entries = classes, entries

    class EditorOpened(Message, bubble=False):
        def __init__(self, editor: ImageLabelEditor) -> None:
            super().__init__()
            self.editor = editor

    class LabelsSaved(Message, bubble=False):
        def __init__(self, image_id: int) -> None:
            super().__init__()
            self.image_id = image_id

    class PreviewRendered(Message, bubble=False):
        def __init__(self, image_id: int, path: Path) -> None:
            super().__init__()
            self.image_id, self.path = image_id, path

    class ExternalOpened(Message, bubble=False):
        def __init__(self, what: str) -> None:
            super().__init__()
            self.what = what

    class Failed(Message, bubble=False):
        """Something could not be done; the text is the one-line reason."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, dataset_id: int, home: Path | None = None) -> None:
        super().__init__()
        self.dataset_id = dataset_id
        self.home = home
        self.service: DatasetService | None = None
        self.class_names: list[str] = []
        self._render_lock = threading.Lock()
        self.preview_dir = (home or tuitrain_home()) / "previews" / f"labels-{dataset_id}"

    def on_unmount(self) -> None:
        if self.service is not None:
            self.service.close()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)

    @work(thread=True, group="label-load", exit_on_error=False, name="dataset")
    def _load(self) -> None:
        from tuitrain.datasets.label_edit import list_images

        self.service = DatasetService(self.home)
        try:
            classes, entries = list_images(self.service.store, self.dataset_id)
        except ValueError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.Loaded(classes, entries))

    @work(thread=True, exclusive=True, group="label-open", exit_on_error=False, name="image")
    def _open_image(self, image_id: int) -> None:
        assert self.service is not None
        try:
            item = self.service.store.image(image_id)
            editor = ImageLabelEditor(self.service.store, item, self.class_names)
        except ValueError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.EditorOpened(editor))

    @work(thread=True, group="label-save", exit_on_error=False, name="save")
    def _save(self, editor: ImageLabelEditor) -> None:
        try:
            if editor.save():
                self.post_message(self.LabelsSaved(editor.image_id))
        except (OSError, ValueError) as exc:
            self.post_message(self.Failed(f"not saved ({editor.item.filename}): {exc}"))

    def _render_file(self, editor: ImageLabelEditor) -> Path:
        """The preview of the editor's latest state (one render at a time)."""
        out = self.preview_dir / (Path(editor.item.filename).stem + ".png")
        with self._render_lock:
            return render_boxes(editor.image_path, editor.drawn_boxes(), out)

    @work(thread=True, exclusive=True, group="label-preview", exit_on_error=False, name="preview")
    def _render_preview(self, editor: ImageLabelEditor) -> None:
        try:
            path = self._render_file(editor)
        except ValueError as exc:
            self.post_message(self.Failed(str(exc)))
            return
        self.post_message(self.PreviewRendered(editor.image_id, path))

    @work(thread=True, group="label-external", exit_on_error=False, name="viewer")
    def _open_external(self, editor: ImageLabelEditor, tool: str) -> None:
        def failed(text: str) -> None:
            self.post_message(self.Failed(text))

        try:
            path = self._render_file(editor) if tool == "viewer" else editor.image_path
            open_external(path, tool=tool, home=self.home, on_failure=failed)
        except ValueError as exc:  # ViewerError, PreviewError
            failed(str(exc))
            return
        what = "the preview" if tool == "viewer" else editor.item.filename
        self.post_message(self.ExternalOpened(what))
