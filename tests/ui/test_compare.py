"""The compare screen: one metric of several runs overlaid, and their config diff."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.ui.conftest import loaded, settle
from tests.ui.run_data import seed_detail_home
from tuitrain.metrics import MetricPoint
from tuitrain.runs.events import MetricsUpdated
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.compare import CompareScreen, config_diff, default_metric
from tuitrain.ui.screens.metric_picker import MetricPickerScreen

AppFactory = Callable[[Path], TuitrainApp]


@pytest.fixture
def detail_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[str, int]]:
    home = tmp_path / "home"
    monkeypatch.setenv("TUITRAIN_HOME", str(home))
    return home, seed_detail_home(home)


async def open_compare(pilot: Pilot[Any], ids: list[int]) -> CompareScreen:
    app = pilot.app
    assert isinstance(app, TuitrainApp)
    await settle(pilot, loaded(app))
    screen = CompareScreen(ids)
    app.push_screen(screen)
    await settle(pilot, lambda: bool(screen.runs))
    return screen


def config_keys(screen: CompareScreen) -> list[str]:
    return [key for key, _values, _differs in screen.shown_config]


async def test_overlays_a_shared_metric_with_a_legend_and_diffs_configs(
    detail_home: tuple[Path, dict[str, int]], app_factory: AppFactory
) -> None:
    home, ids = detail_home
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_compare(pilot, [ids["yolo-base"], ids["yolo-fast"]])
        assert screen.metric == "val/box_loss"
        plot = screen.plot
        assert plot.left == ["#1 yolo-base", "#2 yolo-fast"]
        assert [len(plot.series[n]) for n in plot.left] == [30, 30]
        drawn = plot.plt.build()
        assert "#1 yolo-base" in drawn and "#2 yolo-fast" in drawn
        keys = config_keys(screen)
        assert keys.index("params.lr0") < keys.index("framework")  # differences first
        differing = {key: values for key, values, differs in screen.shown_config if differs}
        assert differing["params.lr0"] == ["0.01", "0.02"]
        assert set(differing) == {"command", "name", "params.batch", "params.lr0"}
        await pilot.press("d")
        assert screen.only_differences and sorted(config_keys(screen)) == sorted(differing)


async def test_pick_another_metric_and_follow_live_points(
    detail_home: tuple[Path, dict[str, int]], app_factory: AppFactory
) -> None:
    home, ids = detail_home
    app = app_factory(home)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_compare(pilot, [ids["yolo-base"], ids["yolo-fast"], ids["rave-crash"]])
        await pilot.press("m")
        picker = app.screen
        assert isinstance(picker, MetricPickerScreen)
        assert "total_loss" in picker.choices and picker.choices.index(
            "lr/pg0"
        ) < picker.choices.index("total_loss")
        picker.dismiss("lr/pg0")
        await settle(pilot)
        assert screen.metric == "lr/pg0" and screen.plot.series["#3 rave-crash"] == []
        await pilot.press("e", "y", "k")
        assert screen.plot.smoothing and screen.plot.log_scale and screen.plot.marker == "braille"
        point = MetricPoint("lr/pg0", 0.001, None, 31)
        app.run_events.publish([MetricsUpdated(ids["yolo-fast"], (point,))])
        await pilot.pause(0.4)
        await settle(pilot)
        assert len(screen.plot.series["#2 yolo-fast"]) == 31
        await pilot.press("escape")
        assert app.screen is not screen


def test_diff_and_default_metric_helpers() -> None:
    rows = config_diff([{"a": "1", "b": "2"}, {"a": "1", "b": "3", "c": "x"}])
    assert rows == [("b", ["2", "3"], True), ("c", ["–", "x"], True), ("a", ["1", "1"], False)]
    assert default_metric([{"train/loss", "val/loss", "lr"}, {"val/loss", "lr"}]) == "val/loss"
    assert default_metric([{"acc"}, {"acc", "loss"}]) == "acc"
    assert default_metric([set(), set()]) is None


def test_snapshot_compare(
    detail_home: tuple[Path, dict[str, int]], app_factory: AppFactory, snap_compare: Any
) -> None:
    home, ids = detail_home

    async def open_it(pilot: Pilot[Any]) -> None:
        await open_compare(pilot, [ids["yolo-base"], ids["yolo-fast"]])

    assert snap_compare(app_factory(home), terminal_size=(100, 30), run_before=open_it)
