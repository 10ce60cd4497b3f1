"""The GPU panel: recorded data injected, and the real app's "no GPU" here."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.widgets import DataTable, Static

from tests.ui.conftest import settle
from tests.ui.gpus_data import NO_GPU, GpusApp
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.experiments import ExperimentsScreen
from tuitrain.ui.screens.gpus import GpusRead, GpusScreen

AppFactory = Callable[[Path], TuitrainApp]


def text_of(screen: GpusScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).content)


async def test_recorded_gpus_with_their_experiment() -> None:
    app = GpusApp()
    seen: list[GpusRead] = []
    async with app.run_test(
        size=(100, 30), message_hook=lambda m: seen.append(m) if isinstance(m, GpusRead) else None
    ) as pilot:
        screen = app.screen_under_test
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.reads == 1 and len({id(m) for m in seen}) == 1  # one read, shown once
        assert text_of(screen, "#host-0") == f"local: {NO_GPU}"
        assert text_of(screen, "#host-1") == "gpu1: 2 GPUs via nvidia-smi"
        table = screen.query_one("#gpus-1", DataTable)
        assert table.row_count == 2
        first = [str(c) for c in table.get_row("2")]
        assert first == [
            "2",
            "██████████ 100%",
            "████░░░░░░ 28.4/80 GiB",
            "35°C",
            "#7 yolo-small",
            "NVIDIA H100 80GB HBM3",
        ]
        assert [str(c) for c in table.get_row("3")][4] == "-"
        assert text_of(screen, "#gpus-summary") == "2 hosts, 2 GPUs, 1 in use"
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert screen.reads == 2 and table.row_count == 2  # same layout: rows refilled
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, GpusScreen)


async def test_g_opens_the_panel_and_this_machine_has_no_gpu(
    home: Path, app_factory: AppFactory
) -> None:
    (home / "config.toml").parent.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text('[hosts.local]\nnvidia_smi = "/nonexistent/nvidia-smi"\n')
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
        await pilot.press("g")
        await settle(pilot, lambda: isinstance(app.screen, GpusScreen) and app.screen.reads > 0)
        screen = app.screen
        assert isinstance(screen, GpusScreen)
        assert text_of(screen, "#host-0") == f"local: {NO_GPU}"
        assert not screen.query(DataTable)
        await pilot.press("escape")
        await settle(pilot, lambda: isinstance(app.screen, ExperimentsScreen))
