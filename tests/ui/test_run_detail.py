"""The run detail screen: state, config, error summary and the live metrics plot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.ui.conftest import SeededHome, loaded, settle
from tests.ui.run_data import CRASH, seed_detail_home
from tuitrain.metrics import MetricPoint
from tuitrain.runs.events import MetricsUpdated
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.confirm import ConfirmScreen
from tuitrain.ui.screens.logs import LogScreen
from tuitrain.ui.screens.metric_picker import MetricPickerScreen
from tuitrain.ui.screens.run_detail import RunDetailScreen, flatten_config
from tuitrain.ui.widgets.metrics_plot import LOSSES, Point, ema, view_members, views

AppFactory = Callable[[Path], TuitrainApp]


@pytest.fixture
def detail_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, int]]:
    home = tmp_path / "home"
    monkeypatch.setenv("TUITRAIN_HOME", str(home))
    return home, seed_detail_home(home)


async def open_detail(pilot: Pilot[Any], rid: int) -> RunDetailScreen:
    app = pilot.app
    assert isinstance(app, TuitrainApp)
    await settle(pilot, loaded(app))
    screen = RunDetailScreen(rid)
    app.push_screen(screen)
    await settle(pilot, lambda: screen.exp is not None)
    return screen


def text_of(screen: RunDetailScreen, selector: str) -> str:
    return str(screen.query_one(selector).render())


async def test_state_config_and_losses_of_a_finished_run(
    detail_home: tuple[Path, dict[str, int]], app_factory: AppFactory
) -> None:
    home, ids = detail_home
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_detail(pilot, ids["yolo-base"])
        state = text_of(screen, "#run-state")
        assert "COMPLETED" in state and "exit code 0" in state
        assert "epoch 30/30" in state and "1:15:00" in state and "100%" in state
        config = text_of(screen, "#run-config-text")
        assert "command: yolo detect train model=yolo11n.pt lr0=0.01 batch=16" in config
        assert "params.epochs: 30" in config
        assert not screen.query_one("#run-error").has_class("-shown")
        plot = screen.plot
        assert screen.view == LOSSES
        assert plot.left == ["train/box_loss", "train/cls_loss", "val/box_loss", "val/cls_loss"]
        assert plot.right == ["lr/pg0"]
        assert len(plot.series["val/box_loss"]) == 30
        assert "train/box_loss" in plot.plt.build()


async def test_a_failed_run_shows_why(
    detail_home: tuple[Path, dict[str, int]], app_factory: AppFactory
) -> None:
    home, ids = detail_home
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_detail(pilot, ids["rave-crash"])
        error = screen.query_one("#run-error")
        assert error.has_class("-shown") and CRASH in str(error.render())
        assert "exit code 1" in text_of(screen, "#run-state")
        assert screen.plot.left == ["total_loss"]


async def test_keys_toggle_smoothing_scale_marker_and_pick_a_metric(
    detail_home: tuple[Path, dict[str, int]], app_factory: AppFactory
) -> None:
    home, ids = detail_home
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_detail(pilot, ids["yolo-base"])
        plot = screen.plot
        await pilot.press("e", "y", "k")
        assert plot.smoothing and plot.log_scale and plot.marker == "braille"
        assert "EMA · log" in plot.plt.build()
        await pilot.press("k", "k")
        assert plot.marker == "hd"
        await pilot.press("m")
        picker = app.screen
        assert isinstance(picker, MetricPickerScreen)
        assert picker.choices[:2] == [LOSSES, "learning rate"]
        await pilot.press("down", "enter")
        assert app.screen is screen and screen.view == "learning rate"
        assert plot.left == ["lr/pg0"] and plot.right == []
        await pilot.press("m", "escape")
        assert screen.view == "learning rate"


async def test_live_metrics_redraw_a_few_times_not_per_batch(
    detail_home: tuple[Path, dict[str, int]], app_factory: AppFactory
) -> None:
    home, ids = detail_home
    rid = ids["yolo-base"]
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_detail(pilot, rid)
        plot = screen.plot
        before = plot.redraws
        for step in range(200):
            point = MetricPoint("val/box_loss", 0.1, None, 31 + step, None)
            app.run_events.publish([MetricsUpdated(rid, (point,))])
        app.run_events.publish([MetricsUpdated(rid + 100, (point,))])  # another run's
        await pilot.pause(0.4)
        await settle(pilot)
        assert len(plot.series["val/box_loss"]) == 230
        assert 1 <= plot.redraws - before <= 3
        app.run_events.publish([MetricsUpdated(rid, (MetricPoint("val/new_loss", 1.0, 5),))])
        await pilot.pause(0.4)
        assert "val/new_loss" in plot.left


async def test_l_opens_the_log_and_stop_needs_a_running_run(
    detail_home: tuple[Path, dict[str, int]], app_factory: AppFactory
) -> None:
    home, ids = detail_home
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_detail(pilot, ids["yolo-base"])
        await pilot.press("s")
        assert app.screen is screen
        assert (
            app._notifications and list(app._notifications)[-1].message == "This run is not running"
        )
        await pilot.press("l")
        assert isinstance(app.screen, LogScreen) and app.screen.experiment_id == ids["yolo-base"]
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("escape")
        assert app.screen is not screen


async def test_stop_a_live_run_after_confirming(
    live_run: SeededHome, app_factory: AppFactory
) -> None:
    rid = live_run.live_id
    assert rid is not None
    app = app_factory(live_run.home)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_detail(pilot, rid)
        assert "RUNNING" in text_of(screen, "#run-state")
        await pilot.press("s")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert app.screen is screen and screen.exp is not None and screen.exp.status == "RUNNING"
        await pilot.press("s", "y")
        await settle(pilot, lambda: screen.exp is not None and screen.exp.status == "STOPPED")
        assert "STOPPED" in text_of(screen, "#run-state")


def test_series_helpers() -> None:
    names = ["lr/pg0", "val/box_loss", "train/box_loss", "metrics/mAP50(B)"]
    assert views(names) == [
        LOSSES,
        "learning rate",
        "lr/pg0",
        "metrics/mAP50(B)",
        "train/box_loss",
        "val/box_loss",
    ]
    assert view_members(LOSSES, names) == (["train/box_loss", "val/box_loss"], ["lr/pg0"])
    assert view_members("metrics/mAP50(B)", names) == (["metrics/mAP50(B)"], [])
    smoothed = ema([1.0, 0.0, float("nan"), 0.0])
    assert smoothed[0] == pytest.approx(1.0) and smoothed[1] == pytest.approx(0.6 / 1.6)
    assert smoothed[2] != smoothed[2]  # NaN stays NaN
    assert flatten_config({"params": {"epochs": 3}, "command": ["a", "b c"], "name": "x"}) == {
        "name": "x",
        "command": "a 'b c'",
        "params.epochs": "3",
    }
    assert Point(None, 1, 0.5).epoch == 1


def test_snapshot_completed_run(
    detail_home: tuple[Path, dict[str, int]], app_factory: AppFactory, snap_compare: Any
) -> None:
    home, ids = detail_home

    async def open_it(pilot: Pilot[Any]) -> None:
        await open_detail(pilot, ids["yolo-base"])

    assert snap_compare(app_factory(home), terminal_size=(100, 30), run_before=open_it)


def test_snapshot_failed_run(
    detail_home: tuple[Path, dict[str, int]], app_factory: AppFactory, snap_compare: Any
) -> None:
    home, ids = detail_home

    async def open_it(pilot: Pilot[Any]) -> None:
        await open_detail(pilot, ids["rave-crash"])

    assert snap_compare(app_factory(home), terminal_size=(100, 30), run_before=open_it)


def test_batch_samples_get_their_own_view_plotted_against_steps() -> None:
    from tuitrain.ui.widgets.metrics_plot import BATCHES, LOSSES, Point, view_members, views, x_axis

    names = ["train/box_loss", "val/box_loss", "lr/pg0", "batch/loss", "batch/lr"]
    assert views(names)[0] == LOSSES and BATCHES in views(names)
    assert view_members(LOSSES, names) == (["train/box_loss", "val/box_loss"], ["lr/pg0"])
    assert view_members(BATCHES, names) == (["batch/loss"], ["batch/lr"])
    per_epoch = [Point(None, 1, 1.0), Point(None, 2, 0.5)]
    per_batch = [Point(1, 1, 1.0), Point(2, 1, 0.9), Point(3, 2, 0.8)]
    assert x_axis([per_epoch]) == "epoch"
    assert x_axis([per_batch]) == "step"
