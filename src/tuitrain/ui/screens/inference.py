"""Inference: a trained model tried on images. Pick a model (weights of COMPLETED runs
still on disk, or on an SSH host: fetched once, with progress in the status line), set the confidence and IoU thresholds (checked as typed), give image
files or folders, and run: the model is loaded once in its framework's environment and
kept for the next runs. Results per image (boxes, inference and wall times), the boxes
of the highlighted image, and its annotated preview, inline or in an external viewer."""

from __future__ import annotations

import contextlib
import threading
from dataclasses import replace
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label, Static
from textual.worker import Worker, get_current_worker

from tuitrain.inference import (
    ImageResult,
    PredictableModel,
    PredictOptions,
    Predictor,
    PredictorError,
    RunnerReady,
    collect_images,
    predict_images,
    predictable_models,
)
from tuitrain.inference.annotate import annotate, annotated_name
from tuitrain.inference.fetching import fetch_weights
from tuitrain.inference.models import ModelLookupError
from tuitrain.paths import database_path, tuitrain_home
from tuitrain.store.db import Database
from tuitrain.store.experiments import ExperimentStore
from tuitrain.ui.app import report_worker_error
from tuitrain.ui.screens import inference_rows as rows
from tuitrain.ui.widgets.image_preview import ImagePreview
from tuitrain.ui.widgets.key_footer import KeyFooter
from tuitrain.viewer import ViewerError, open_external


def load_models(home: Path) -> list[PredictableModel]:
    db = Database(database_path(home))
    try:
        return predictable_models(ExperimentStore(db))
    finally:
        db.dispose()


class InferenceScreen(Screen[None]):
    """Models, thresholds and images on the left; results and the preview on the right."""

    HELP_TITLE = "Inference"
    BINDINGS = [
        Binding("ctrl+r", "run", "Run", priority=True, tooltip="Detect objects in the images"),
        Binding("ctrl+o", "open", "Open", priority=True, tooltip="Open the annotated image"),
        Binding("ctrl+l", "reload", "Reload", priority=True, tooltip="Read the models again"),
        Binding("escape", "back", "Back", tooltip="Back (the loaded model is closed)"),
    ]
    DEFAULT_CSS = """
    InferenceScreen #inference-status { height: 1; padding: 0 1; background: $boost; }
    InferenceScreen #inference-left { width: 3fr; }
    InferenceScreen #inference-right { width: 2fr; border: round $primary 60%; }
    InferenceScreen #inference-models { height: 7; }
    InferenceScreen .field-row { height: 3; }
    InferenceScreen .field-row Label { padding: 1 1 0 1; }
    InferenceScreen #conf, InferenceScreen #iou { width: 14; }
    InferenceScreen #images { width: 1fr; }
    InferenceScreen #inference-problem { height: 1; padding: 0 1; color: $error; }
    InferenceScreen #inference-results { height: 1fr; }
    InferenceScreen #inference-boxes { height: auto; max-height: 9; }
    """

    class ModelsListed(Message):
        def __init__(self, models: list[PredictableModel]) -> None:
            super().__init__()
            self.models = models

    class ModelLoaded(Message):
        def __init__(self, model: PredictableModel, ready: RunnerReady) -> None:
            super().__init__()
            self.model, self.ready = model, ready

    class ImageAnswered(Message):
        def __init__(self, done: int, total: int, result: ImageResult) -> None:
            super().__init__()
            self.done, self.total, self.result = done, total, result

    class WeightsFetching(Message):
        """Bytes of a remote model's weights brought here so far."""

        def __init__(self, model: PredictableModel, done: int, total: int) -> None:
            super().__init__()
            self.model, self.done, self.total = model, done, total

        def can_replace(self, message: Message) -> bool:
            return isinstance(message, InferenceScreen.WeightsFetching)

    class RunnerFailed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    def __init__(self, home: Path | None = None) -> None:
        super().__init__()
        self.home = home or tuitrain_home()
        self.models: dict[int, PredictableModel] = {}
        self.results: list[ImageResult] = []
        self.failed = 0
        self.predictor: Predictor | None = None  # kept loaded between runs
        self.predictor_of: PredictableModel | None = None  # as listed (a remote one unfetched)
        self.running = False

    def compose(self) -> ComposeResult:
        yield Static("Reading models…", id="inference-status", markup=False)
        with Horizontal():
            with Vertical(id="inference-left"):
                yield DataTable(id="inference-models", cursor_type="row", zebra_stripes=True)
                with Horizontal(classes="field-row"):
                    yield Label("conf")
                    yield Input("0.25", id="conf", validate_on=["changed"])
                    yield Label("IoU")
                    yield Input("0.7", id="iou", validate_on=["changed"])
                with Horizontal(classes="field-row"):
                    yield Label("images")
                    yield Input(placeholder="image files or folders", id="images")
                yield Static("", id="inference-problem", markup=False)
                yield DataTable(id="inference-results", cursor_type="row", zebra_stripes=True)
            with Vertical(id="inference-right"):
                yield DataTable(id="inference-boxes", cursor_type="row", zebra_stripes=True)
                yield ImagePreview("no image yet", id="inference-preview")
        yield KeyFooter()

    def on_mount(self) -> None:
        for table_id, columns in (
            ("#inference-models", rows.MODEL_COLUMNS),
            ("#inference-results", rows.IMAGE_COLUMNS),
            ("#inference-boxes", rows.BOX_COLUMNS),
        ):
            table = self.query_one(table_id, DataTable)
            for label, key in columns:
                table.add_column(label, key=key)
        self.query_one("#inference-right").border_title = "Boxes and preview"
        self.query_one("#inference-models", DataTable).focus()
        self._list_models()

    def on_unmount(self) -> None:
        self._close_predictor()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)

    def _status(self, text: str) -> None:
        self.query_one("#inference-status", Static).update(text)

    # -- models ------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="inference-models", exit_on_error=False, name="models")
    def _list_models(self) -> None:
        self.post_message(self.ModelsListed(load_models(self.home)))

    @on(ModelsListed)
    def _models_listed(self, event: ModelsListed) -> None:
        table = self.query_one("#inference-models", DataTable)
        table.clear()
        self.models = {m.id: m for m in event.models if m.id is not None}
        for model in event.models:
            table.add_row(*rows.model_row(model), key=str(model.id))
        if not event.models:
            self._status(
                "No trained models yet: a COMPLETED YOLO or DETR run registers its weights"
            )
        else:
            self._status(f"{len(event.models)} models · ctrl+r runs the selected one on the images")

    def selected_model(self) -> PredictableModel | None:
        table = self.query_one("#inference-models", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.models.get(int(key)) if key is not None else None

    # -- thresholds, checked as typed ------------------------------------------------
    @on(Input.Changed, "#conf, #iou")
    def _threshold_changed(self, event: Input.Changed) -> None:
        self.query_one("#inference-problem", Static).update(self._problem() or "")

    def _problem(self) -> str | None:
        for name in ("conf", "iou"):
            field = self.query_one(f"#{name}", Input)
            problem = rows.threshold_problem(name if name == "conf" else "IoU", field.value)
            field.set_class(problem is not None, "-invalid")
            if problem:
                return problem
        return None

    # -- running ---------------------------------------------------------------------
    @on(Input.Submitted, "#images")
    def _images_submitted(self) -> None:
        self.action_run()

    def action_run(self) -> None:
        if self.running:
            self.notify("Still running: wait for the images under way", severity="warning")
            return
        model = self.selected_model()
        paths = rows.image_paths(self.query_one("#images", Input).value)
        problem = self._problem() or (
            "pick a model"
            if model is None
            else ("give image files or folders" if not paths else None)
        )
        if problem or model is None:
            self.query_one("#inference-problem", Static).update(problem or "")
            self.notify(f"Cannot run: {problem}", severity="warning")
            return
        options = PredictOptions(
            conf=float(self.query_one("#conf", Input).value),
            iou=float(self.query_one("#iou", Input).value),
        )
        self.results, self.failed, self.running = [], 0, True
        self.query_one("#inference-results", DataTable).clear()
        self.query_one("#inference-boxes", DataTable).clear()
        self._status(f"{model.title()}: starting…" if not self._loaded(model) else "running…")
        self._predict(model, paths, options)

    def _loaded(self, model: PredictableModel) -> bool:
        return self.predictor is not None and self.predictor_of == model and self.predictor.running

    @work(thread=True, exclusive=True, group="inference", exit_on_error=False, name="inference")
    def _predict(self, model: PredictableModel, paths: list[str], options: PredictOptions) -> None:
        worker = get_current_worker()
        images = collect_images(paths)
        previews = self.home / "inference" / "previews"
        names: set[str] = set()
        try:
            if self.predictor is None or self.predictor_of != model:
                self._close_predictor()

                def fetching(done: int, total: int) -> None:
                    self.post_message(self.WeightsFetching(model, done, total))

                local = fetch_weights(model, fetching, home=self.home)
                self.predictor, self.predictor_of = Predictor(local, home=self.home), model
            if not self.predictor.running:
                self.post_message(self.ModelLoaded(model, self.predictor.start()))

            def answered(done: int, total: int, result: ImageResult) -> None:
                if result.ok:
                    out = previews / annotated_name(result.image, names)
                    # Unreadable or unwritable: the table still has the boxes, no preview.
                    with contextlib.suppress(OSError, ValueError):
                        result = replace(result, annotated=str(annotate(result, out)))
                self.post_message(self.ImageAnswered(done, total, result))

            predict_images(self.predictor, images, options, answered, lambda: worker.is_cancelled)
        except (PredictorError, ModelLookupError) as exc:
            self.post_message(self.RunnerFailed(str(exc)))
        finally:
            self.running = False

    def _close_predictor(self) -> None:
        predictor, self.predictor = self.predictor, None
        if predictor is not None:  # ends at end of input; never block the screen on it
            threading.Thread(target=predictor.close, name="inference-close", daemon=True).start()

    @on(WeightsFetching)
    def _weights_fetching(self, event: WeightsFetching) -> None:
        percent = 100 if event.total == 0 else event.done * 100 // event.total
        self._status(
            f"{event.model.title()}: fetching weights {percent}% of {event.total / 1e6:.1f} MB"
        )

    @on(ModelLoaded)
    def _model_loaded(self, event: ModelLoaded) -> None:
        self._status(rows.loaded_text(event.model, event.ready))

    @on(ImageAnswered)
    def _image_answered(self, event: ImageAnswered) -> None:
        self.results.append(event.result)
        self.failed += not event.result.ok
        table = self.query_one("#inference-results", DataTable)
        table.add_row(*rows.image_row(event.result), key=str(len(self.results) - 1))
        self.query_one("#inference-problem", Static).update(
            rows.progress_text(event.done, event.total, self.failed)
        )
        if len(self.results) == 1:
            self._show_result(0)

    @on(RunnerFailed)
    def _runner_failed(self, event: RunnerFailed) -> None:
        self.running = False
        self._status(f"Inference stopped: {event.error}")
        self.notify(event.error, severity="error", timeout=15)

    @on(DataTable.RowHighlighted, "#inference-results")
    def _result_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self._show_result(int(event.row_key.value))

    def _show_result(self, index: int) -> None:
        result = self.results[index]
        boxes = self.query_one("#inference-boxes", DataTable)
        boxes.clear()
        for row in rows.box_rows(result):
            boxes.add_row(*row)
        self.query_one("#inference-right").border_title = rows.short(rows.detail_title(result), 44)
        preview = self.query_one("#inference-preview", ImagePreview)
        preview.show(Path(result.annotated) if result.annotated else None)

    def highlighted_result(self) -> ImageResult | None:
        table = self.query_one("#inference-results", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self.results[int(key)] if key is not None else None

    # -- other actions ---------------------------------------------------------------
    def action_open(self) -> None:
        result = self.highlighted_result()
        if result is None or not result.annotated:
            self.notify("No annotated image: run the model on images first", severity="warning")
            return
        try:
            open_external(Path(result.annotated), home=self.home)
        except ViewerError as exc:
            self.notify(str(exc), severity="error", timeout=10)

    def action_reload(self) -> None:
        self._list_models()

    def action_back(self) -> None:
        self.workers.cancel_group(self, "inference")
        self.dismiss(None)
