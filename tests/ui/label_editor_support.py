"""Opening the label editor in the real app: experiments, D (datasets), e (editor)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static

from tests.ui.conftest import settle
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.datasets import DatasetsScreen
from tuitrain.ui.screens.experiments import ExperimentsScreen
from tuitrain.ui.screens.label_editor import LabelEditorScreen
from tuitrain.ui.widgets.image_preview import ImagePreview


def editor(app: TuitrainApp) -> LabelEditorScreen:
    screen = app.screen
    assert isinstance(screen, LabelEditorScreen)
    return screen


def on_image(app: TuitrainApp, filename: str) -> Callable[[], bool]:
    """The editor shows ``filename``, saved, with its preview drawn."""

    def check() -> bool:
        screen = app.screen
        if not isinstance(screen, LabelEditorScreen) or screen.editor is None:
            return False
        preview = screen.query_one(ImagePreview)
        return (
            screen.editor.item.filename == filename
            and not screen.editor.dirty
            and preview.image is not None
        )

    return check


async def open_editor(pilot: Pilot[Any], filename: str) -> None:
    app = pilot.app
    assert isinstance(app, TuitrainApp)
    await settle(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
    await pilot.press("D")
    await settle(
        pilot, lambda: isinstance(app.screen, DatasetsScreen) and app.screen.detail_id is not None
    )
    await pilot.press("e")
    await settle(pilot, on_image(app, filename))


async def keys(pilot: Pilot[Any], *pressed: str) -> None:
    """Press keys, then let saves and previews finish."""
    app = pilot.app
    assert isinstance(app, TuitrainApp)
    await pilot.press(*pressed)
    screen = editor(app)
    await settle(pilot, lambda: screen.editor is not None and not screen.editor.dirty)


def status_line(app: TuitrainApp) -> str:
    return str(app.screen.query_one("#label-status", Static).content)


def summary_line(app: TuitrainApp) -> str:
    return str(app.screen.query_one("#label-summary", Static).content)


def preview_file(home: Path, dataset_id: int, stem: str) -> Path:
    return home / "previews" / f"labels-{dataset_id}" / f"{stem}.png"
