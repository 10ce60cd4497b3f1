"""A bare app hosting the new-training wizard, datasets for it at fixed paths, and
Pilot helpers.

Snapshots must not depend on where pytest puts its temporary folders, so the snapshot
datasets live under one fixed folder (rewritten identically by every run).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input, Static

from tuitrain.ui.screens.wizard import NewTrainingScreen
from tuitrain.ui.screens.wizard_datasets import DatasetCatalog, DatasetCheck, DatasetChoice
from tuitrain.ui.widgets.param_field import ParamField

SNAPSHOT_ROOT = Path("/tmp/tuitrain-wizard-snapshots")
# An interpreter path with no console scripts beside it: commands read the same anywhere.
ENV_PYTHON = "/opt/envs/train/bin/python"


class WizardHost(App[None]):
    """Pushes the wizard at start; keeps what it dismissed with."""

    def __init__(self, screen_factory: Any) -> None:
        super().__init__()
        self._factory = screen_factory
        self.results: list[dict[str, Any] | None] = []

    def on_mount(self) -> None:
        self.push_screen(self._factory(), callback=self.results.append)


class FixedCatalog:
    """Datasets given up front; ``problems`` maps a dataset id to its errors."""

    def __init__(
        self, choices: list[DatasetChoice], problems: dict[int, list[str]] | None = None
    ) -> None:
        self.choices = choices
        self.problems = problems or {}

    def list_datasets(self) -> list[DatasetChoice]:
        return list(self.choices)

    def check(self, choice: DatasetChoice) -> DatasetCheck:
        return DatasetCheck(list(self.problems.get(choice.id or 0, [])))


def snapshot_datasets() -> list[DatasetChoice]:
    ducks = SNAPSHOT_ROOT / "ducks"
    ducks.mkdir(parents=True, exist_ok=True)
    (ducks / "data.yaml").write_text(
        "path: .\ntrain: train/images\nval: val/images\nnames: [duck]\n"
    )
    drums = SNAPSHOT_ROOT / "drums"
    (drums / "rave_db").mkdir(parents=True, exist_ok=True)
    (drums / "rave_db" / "data.mdb").write_bytes(b"")
    return [
        DatasetChoice(1, "ducks", "detection", str(ducks), "120 images, 118 labeled, 1 classes"),
        DatasetChoice(2, "drums", "audio", str(drums), "audio, 40 files"),
        DatasetChoice(3, "empty", "detection", str(SNAPSHOT_ROOT / "empty"), "0 images"),
    ]


def catalog() -> FixedCatalog:
    """ducks (detection), drums (audio), and empty, which its check refuses."""
    return FixedCatalog(
        snapshot_datasets(), {3: ["the dataset has no images", "the dataset has no classes"]}
    )


def snapshot_app() -> WizardHost:
    return host(catalog())


# -- Pilot helpers ---------------------------------------------------------------------
def host(catalog: DatasetCatalog, **options: Any) -> WizardHost:
    options.setdefault(
        "base_config", {"python": ENV_PYTHON, "runners_dir": "/opt/tuitrain/runners"}
    )
    return WizardHost(lambda: NewTrainingScreen(catalog, **options))


def wizard(app: App[Any]) -> NewTrainingScreen:
    screen = app.screen
    assert isinstance(screen, NewTrainingScreen)
    return screen


async def drain(pilot: Pilot[Any]) -> None:
    """Let workers finish and their messages be handled."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def field(app: App[Any], framework: str, param: str) -> ParamField:
    return wizard(app).query_one(f"#p-{framework}-{param}", ParamField)


def note(f: ParamField) -> str:
    return str(f.query_one(".param-note", Static).render())


async def type_into(pilot: Pilot[Any], f: ParamField, text: str) -> None:
    editor = f.editor
    assert isinstance(editor, Input)
    editor.value = text
    await pilot.pause()


def notes(app: App[Any]) -> list[str]:
    return [n.message for n in app._notifications]


async def to_page(pilot: Pilot[Any], page: int) -> None:
    while wizard(pilot.app).page < page:
        before = wizard(pilot.app).page
        await pilot.press("ctrl+n")
        await drain(pilot)
        assert wizard(pilot.app).page == before + 1, notes(pilot.app)
