"""The experiments screen with Pilot: every key does what its footer says."""

from __future__ import annotations

import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input

from tests.ui.conftest import SeededHome, loaded, replay_command, settle
from tuitrain.executors.base import ProcessState
from tuitrain.executors.local import LocalExecutor
from tuitrain.metrics import MetricPoint, Progress
from tuitrain.runs.events import MetricsUpdated, RunDataChanged, StatusChanged, StepUpdated
from tuitrain.runs.manager import identity_of
from tuitrain.runs.states import RunStatus
from tuitrain.ui.app import TuitrainApp
from tuitrain.ui.screens.confirm import ConfirmScreen
from tuitrain.ui.screens.experiments import ExperimentsScreen
from tuitrain.ui.screens.help import HelpScreen
from tuitrain.ui.widgets import live_experiments
from tuitrain.ui.widgets.experiments_table import COLUMNS, fit_columns
from tuitrain.ui.widgets.live_experiments import LiveExperimentsTable
from tuitrain.ui.widgets.run_rows import epoch_or_step, format_value, key_metric

AppFactory = Callable[[Path], TuitrainApp]


def table_of(app: TuitrainApp) -> LiveExperimentsTable:
    return app.screen.query_one(LiveExperimentsTable)


def notes(app: TuitrainApp) -> list[str]:
    return [n.message for n in app._notifications]


def select(app: TuitrainApp, rid: int) -> None:
    table = table_of(app)
    table.move_cursor(row=table.shown_ids.index(rid))


class FakeScreen(Screen[Any]):
    """Stands in for another engineer's screen: records what it was opened with."""

    def __init__(self, *args: Any) -> None:
        super().__init__()
        self.args = args


def fake_module(monkeypatch: pytest.MonkeyPatch, module: str, **classes: type) -> None:
    mod = types.ModuleType(f"tuitrain.ui.screens.{module}")
    for name, cls in classes.items():
        setattr(mod, name, cls)
    monkeypatch.setitem(sys.modules, mod.__name__, mod)


async def test_the_table_shows_every_run_newest_first(
    seeded_home: SeededHome, app_factory: AppFactory
) -> None:
    app = app_factory(seeded_home.home)
    async with app.run_test(size=(140, 30)) as pilot:
        await settle(pilot, loaded(app))
        assert isinstance(app.screen, ExperimentsScreen)
        table = table_of(app)
        assert table.shown_ids == [4, 3, 2, 1]
        statuses = {rid: row.exp.status for rid, row in table.runs.items()}
        assert statuses == {1: "STOPPED", 2: "LOST", 3: "COMPLETED", 4: "FAILED"}
        yolo = seeded_home.ids["yolo11n-coco8"]
        cells = [str(c) for c in table.get_row(str(yolo))]
        assert "yolo11n-coco8" in cells and "COMPLETED" in cells
        assert "mAP50-95 0" in cells and "46:00" in cells and "09:00" in cells
        assert "4 runs, 0 running" in str(app.screen.query_one("#summary").render())


async def test_rows_follow_a_live_run_to_its_end(
    seeded_home: SeededHome, app_factory: AppFactory
) -> None:
    app = app_factory(seeded_home.home)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, loaded(app))
        command = replay_command("yolo_cli_output_pipe.raw", "--pace", "0.5")
        rid = await app.manager.start_training(
            {"name": "fresh", "framework": "yolo", "parser": "ultralytics", "command": command}
        )
        table = table_of(app)
        await settle(pilot, lambda: rid in table.shown_ids)
        await settle(pilot, lambda: table.runs[rid].status is RunStatus.COMPLETED)

        def cells() -> list[str]:
            return [str(c) for c in table.get_row(str(rid))]

        # Cells may lag the data by one redraw (REDRAW_S): wait for it, no longer.
        await settle(pilot, lambda: "ep 2/2" in cells(), limit_s=2)
        assert "COMPLETED" in cells()
        assert any(c.endswith("100%") for c in cells())


async def test_a_flood_of_events_redraws_the_row_in_place_a_few_times(
    live_run: SeededHome, app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    rid = live_run.live_id
    assert rid is not None
    app = app_factory(live_run.home)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, loaded(app))
        table = table_of(app)
        redraws: list[set[int]] = []
        rebuilds: list[int] = []
        real = table.refresh_runs
        monkeypatch.setattr(
            table, "refresh_runs", lambda ids: (redraws.append(set(ids)), real(ids))
        )
        monkeypatch.setattr(table, "rebuild", lambda: rebuilds.append(1))
        for step in range(200):
            app.run_events.publish([StepUpdated(rid, Progress(1, 2, step, 400))])
        point = MetricPoint("metrics/mAP50-95(B)", 0.4321, None, 1)
        app.run_events.publish([MetricsUpdated(rid, (point,))])
        await settle(pilot)
        await pilot.pause(0.3)
        assert 1 <= len(redraws) <= 3 and not rebuilds  # in place, a few times
        assert table.runs[rid].progress == Progress(1, 2, 199, 400)
        cells = [str(c) for c in table.get_row(str(rid))]
        assert "ep 1/2" in cells and "mAP50-… 0.4321" in cells
        assert any(c.endswith(" 25%") for c in cells)


async def test_metrics_ingested_by_another_process_reach_the_row(
    live_run: SeededHome, app_factory: AppFactory
) -> None:
    rid = live_run.live_id
    assert rid is not None
    app = app_factory(live_run.home)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, loaded(app))
        table = table_of(app)
        # What a CLI beside the TUI would have committed: metrics this app never saw.
        store = app.manager.store
        version, _ = store.cursor(rid, "api")
        point = MetricPoint("metrics/mAP50-95(B)", 0.777, None, 2)
        assert store.commit_batch(rid, "api", version, {"n": 1}, [point], None)
        app.run_events.publish([RunDataChanged(rid)])
        await settle(pilot, lambda: table.runs[rid].metrics.get("metrics/mAP50-95(B)") == 0.777)
        assert table.runs[rid].metrics["metrics/mAP50-95(B)"] == 0.777


async def test_new_opens_the_wizard_and_starts_what_it_returns(
    seeded_home: SeededHome, app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    command = replay_command("rave_output_pipe.raw", "--pace", "0.2")

    class Wizard(Screen[dict[str, Any] | None]):
        def on_mount(self) -> None:
            self.dismiss({"name": "from-wizard", "framework": "rave", "command": command})

    fake_module(monkeypatch, "wizard", NewTrainingScreen=Wizard)
    app = app_factory(seeded_home.home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app))
        await pilot.press("n")
        await settle(
            pilot, lambda: any(r.exp.name == "from-wizard" for r in table_of(app).runs.values())
        )
        assert [e.name for e in app.manager.list_experiments()][-1] == "from-wizard"
        assert any(n.startswith("Started #5") for n in notes(app))


async def test_a_wizard_error_is_a_notification(
    seeded_home: SeededHome, app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Wizard(Screen[dict[str, Any] | None]):
        def on_mount(self) -> None:
            self.dismiss({"name": "", "command": ["true"]})

    fake_module(monkeypatch, "wizard", NewTrainingScreen=Wizard)
    app = app_factory(seeded_home.home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app))
        await pilot.press("n")
        await settle(pilot, lambda: bool(notes(app)))
        assert notes(app) == ["Cannot start: a run needs a name"]
        assert len(app.manager.list_experiments()) == 4


async def test_screens_not_written_yet_are_announced(
    seeded_home: SeededHome, app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in ("wizard", "run_detail", "logs", "compare"):
        monkeypatch.setitem(sys.modules, f"tuitrain.ui.screens.{module}", None)
    app = app_factory(seeded_home.home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app))
        await pilot.press("n", "enter", "l", "space", "space", "c")
        await pilot.pause()
        assert notes(app) == [
            "The new-training wizard is not available yet",
            "Run detail is not available yet",
            "The log viewer is not available yet",
            "Compare is not available yet",
        ]
        assert isinstance(app.screen, ExperimentsScreen)


async def test_enter_logs_and_compare_open_their_screens(
    seeded_home: SeededHome, app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_module(monkeypatch, "run_detail", RunDetailScreen=FakeScreen)
    fake_module(monkeypatch, "logs", LogScreen=FakeScreen)
    fake_module(monkeypatch, "compare", CompareScreen=FakeScreen)
    app = app_factory(seeded_home.home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app))
        select(app, seeded_home.ids["yolo11n-coco8"])
        await pilot.press("enter")
        assert isinstance(app.screen, FakeScreen) and app.screen.args == (3,)
        app.pop_screen()
        await pilot.press("l")
        assert isinstance(app.screen, FakeScreen) and app.screen.args == (3,)
        app.pop_screen()
        await pilot.press("c")  # nothing marked yet
        assert notes(app)[-1] == "Mark two or more runs with space, then press c"
        select(app, 3)
        await pilot.press("space", "space")  # marks 3, then 2: the cursor moves down
        assert table_of(app).marked_ids == [2, 3]
        await pilot.press("c")
        assert isinstance(app.screen, FakeScreen) and app.screen.args == ([2, 3],)


async def test_stop_asks_first_and_stops_only_on_yes(
    live_run: SeededHome, app_factory: AppFactory
) -> None:
    rid = live_run.live_id
    assert rid is not None
    app = app_factory(live_run.home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app))
        select(app, rid)
        await pilot.press("s")
        assert isinstance(app.screen, ConfirmScreen)
        assert "yolo11s-live" in app.screen.question
        await pilot.press("n")
        await settle(pilot)
        assert app.manager.get_experiment(rid).status == RunStatus.RUNNING
        await pilot.press("s", "y")
        table = table_of(app)
        await settle(pilot, lambda: table.runs[rid].status is RunStatus.STOPPED)
        exp = app.manager.get_experiment(rid)
        assert exp.status == RunStatus.STOPPED
        ident = identity_of(exp)
        assert ident is not None and LocalExecutor().probe(ident) is ProcessState.GONE
        assert f"Stopped #{rid}" in notes(app)


async def test_stop_and_restart_refuse_what_does_not_apply(
    live_run: SeededHome, app_factory: AppFactory
) -> None:
    app = app_factory(live_run.home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app))
        select(app, live_run.ids["yolo11n-coco8"])
        await pilot.press("s")
        assert isinstance(app.screen, ExperimentsScreen)
        assert notes(app)[-1] == "#3 is COMPLETED: nothing to stop"
        assert live_run.live_id is not None
        select(app, live_run.live_id)
        await pilot.press("r")
        assert notes(app)[-1] == "#5 is RUNNING: stop it first"
        assert len(app.manager.list_experiments()) == 5


async def test_delete_is_refused_while_running_and_confirmed_otherwise(
    live_run: SeededHome, app_factory: AppFactory
) -> None:
    rid = live_run.live_id
    assert rid is not None
    app = app_factory(live_run.home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app))
        select(app, rid)
        await pilot.press("d")
        assert isinstance(app.screen, ExperimentsScreen)
        assert notes(app)[-1] == "#5 is RUNNING: stop it before deleting it"
        assert app.manager.get_experiment(rid).status == RunStatus.RUNNING
        crash = live_run.ids["rave-crash"]
        select(app, crash)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert crash in [e.id for e in app.manager.list_experiments()]
        await pilot.press("d", "enter")
        await settle(pilot, lambda: crash not in table_of(app).runs)
        assert crash not in [e.id for e in app.manager.list_experiments()]
        assert notes(app)[-1] == f"Deleted #{crash}"
        assert table_of(app).cursor_id is not None


async def test_restart_runs_the_same_config_again(
    seeded_home: SeededHome, app_factory: AppFactory
) -> None:
    crash = seeded_home.ids["rave-crash"]
    app = app_factory(seeded_home.home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app))
        select(app, crash)
        await pilot.press("r")
        await settle(pilot, lambda: 5 in table_of(app).runs)
        new = app.manager.get_experiment(5)
        assert new.restarted_from == crash and new.name == "rave-crash"
        assert f"Restarted #{crash} as #5" in notes(app)
        await settle(pilot, lambda: table_of(app).runs[5].status is RunStatus.FAILED)


async def test_engine_errors_become_notifications(
    seeded_home: SeededHome, app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = app_factory(seeded_home.home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app))

        async def broken(experiment_id: int) -> int:
            raise RuntimeError("database is on fire")

        monkeypatch.setattr(app.manager, "restart_training", broken)
        select(app, 3)
        await pilot.press("r")
        await settle(pilot)
        assert notes(app)[-1] == "Cannot restart #3: database is on fire"
        monkeypatch.setattr(app.manager, "list_experiments", lambda: 1 / 0)
        table_of(app).reload()
        await settle(pilot)
        assert notes(app)[-1] == "Cannot read the experiments: division by zero"
        # A worker that fails outside any guard: its StateChanged handler reports it.
        monkeypatch.setattr(live_experiments, "read_records", lambda manager, ids: 1 / 0)
        app.run_events.publish([StatusChanged(99, RunStatus.RUNNING)])
        await settle(pilot, lambda: "refresh runs failed" in notes(app)[-1])
        assert notes(app)[-1] == "refresh runs failed: division by zero"
        assert app.is_running


async def test_filters_by_text_status_and_project(
    live_run: SeededHome, app_factory: AppFactory
) -> None:
    app = app_factory(live_run.home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app))
        table = table_of(app)
        await pilot.press("slash", "r", "a", "v", "e")
        assert table.shown_ids == [4, 2]
        await pilot.press("enter")  # keeps the filter, back to the table
        assert table.has_focus and table.shown_ids == [4, 2]
        await pilot.press("escape")
        assert table.shown_ids == [5, 4, 3, 2, 1]
        await pilot.press("f")  # active
        assert table.shown_ids == [5]
        await pilot.press("f")  # completed
        assert table.shown_ids == [3]
        await pilot.press("f")  # failed (and lost)
        assert table.shown_ids == [4, 2]
        await pilot.press("f", "f")  # stopped, then all again
        assert table.shown_ids == [5, 4, 3, 2, 1]
        await pilot.press("p")  # detection
        assert table.shown_ids == [3, 1]
        assert "project: detection" in str(app.screen.query_one("#summary").render())
        await pilot.press("p")  # audio
        assert table.shown_ids == [4, 2]
        await pilot.press("p")  # none
        assert table.shown_ids == [5]
        await pilot.press("p")
        assert table.shown_ids == [5, 4, 3, 2, 1]


async def test_help_lists_every_key_of_the_screen_and_the_app(
    seeded_home: SeededHome, app_factory: AppFactory
) -> None:
    app = app_factory(seeded_home.home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app))
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        groups = dict(app.screen.groups)
        shown = dict(groups["Experiments"])
        for binding in ExperimentsScreen.BINDINGS:
            assert isinstance(binding, Binding)
            assert shown[app.get_key_display(binding)] == (binding.tooltip or binding.description)
        assert shown["⏎"] == "Open the run under the cursor"
        assert dict(groups["Everywhere"])["^q"] == "Quit (runs keep going)"
        await pilot.press("escape")
        assert isinstance(app.screen, ExperimentsScreen)


async def test_the_command_palette_finds_the_screen_actions(
    seeded_home: SeededHome, app_factory: AppFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_module(monkeypatch, "logs", LogScreen=FakeScreen)
    app = app_factory(seeded_home.home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app))
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        for title in ("New training", "Stop the run under the cursor", "Compare the marked runs"):
            assert title in commands
        assert commands["Cycle the status filter"].help == "key: f"
        await pilot.press("ctrl+p")
        await pilot.press(*"show the logs")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot, lambda: isinstance(app.screen, FakeScreen))
        assert isinstance(app.screen, FakeScreen) and app.screen.args == (4,)


async def test_quitting_leaves_runs_running(live_run: SeededHome, app_factory: AppFactory) -> None:
    rid = live_run.live_id
    assert rid is not None
    app = app_factory(live_run.home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app))
        await pilot.press("ctrl+q")
    assert not app.is_running
    app2 = app_factory(live_run.home)
    async with app2.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app2))
        exp = app2.manager.get_experiment(rid)
        assert exp.status == RunStatus.RUNNING
        ident = identity_of(exp)
        assert ident is not None and LocalExecutor().probe(ident) is ProcessState.ALIVE
        assert table_of(app2).runs[rid].status is RunStatus.RUNNING


async def test_the_real_screens_open_from_the_table(
    seeded_home: SeededHome, app_factory: AppFactory
) -> None:
    from tuitrain.ui.screens.compare import CompareScreen
    from tuitrain.ui.screens.logs import LogScreen
    from tuitrain.ui.screens.run_detail import RunDetailScreen
    from tuitrain.ui.screens.wizard import NewTrainingScreen

    app = app_factory(seeded_home.home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app))
        select(app, 3)
        await pilot.press("enter")
        assert isinstance(app.screen, RunDetailScreen) and app.screen.experiment_id == 3
        app.pop_screen()
        await pilot.press("l")
        assert isinstance(app.screen, LogScreen) and app.screen.experiment_id == 3
        app.pop_screen()
        await pilot.press("space", "space", "c")
        assert isinstance(app.screen, CompareScreen) and app.screen.experiment_ids == [2, 3]
        app.pop_screen()
        await pilot.press("n")
        assert isinstance(app.screen, NewTrainingScreen)
        app.pop_screen()
        await settle(pilot)
        assert isinstance(app.screen, ExperimentsScreen)


async def test_keys_typed_right_after_slash_go_to_the_filter(
    seeded_home: SeededHome, app_factory: AppFactory
) -> None:
    """A burst ("/" then "rd" before the app has drawn anything) must not restart
    or delete: the keys are text for the filter."""
    app = app_factory(seeded_home.home)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot, loaded(app))
        for key, char in (("slash", "/"), ("r", "r"), ("d", "d"), ("slash", "/")):
            app.post_message(events.Key(key, char))
        await settle(pilot)
        assert app.screen.query_one("#filter", Input).value == "rd/"
        assert isinstance(app.screen, ExperimentsScreen) and not notes(app)
        assert len(app.manager.list_experiments()) == 4


def test_columns_give_way_in_order_as_the_terminal_narrows() -> None:
    def keys(width: int) -> list[str]:
        return [c.key for c in fit_columns(width)]

    always = ["id", "name", "status", "bar"]
    assert keys(58) == always
    assert keys(78) == ["id", "name", "status", "bar", "metric", "eta"]
    assert keys(98) == ["id", "name", "framework", "status", "bar", "steps", "metric", "eta"]
    assert set(keys(200)) == {c.key for c in COLUMNS}
    for width in (40, 58, 78, 98, 118, 138):
        columns = fit_columns(width)
        assert sum(c.width + 2 for c in columns) <= max(width, 58)


def test_row_texts() -> None:
    assert key_metric("yolo", {"train/box_loss": 1.0, "metrics/mAP50-95(B)": 0.5}) == (
        "metrics/mAP50-95(B)",
        0.5,
    )
    assert key_metric("custom", {"lr/pg0": 0.01, "acc": 0.9}) == ("acc", 0.9)
    assert key_metric("detr", {}) is None
    assert epoch_or_step(Progress(3, 100, 5, 10)) == "ep 3/100"
    assert epoch_or_step(Progress(step=12_345, total_steps=500_000)) == "st 12.3k/500k"
    assert epoch_or_step(Progress(step=10)) == "st 10/?"
    assert epoch_or_step(None) == "-"
    assert format_value(float("nan")) == "nan"


def test_the_home_screen_loads_nothing_heavy_before_the_first_frame() -> None:
    """The store (SQLAlchemy) and plotting load after the first frame, not with the
    screens the app shows first."""
    code = (
        "import sys\n"
        "import tuitrain.ui.app, tuitrain.ui.screens.experiments, tuitrain.ui.screens.help\n"
        "heavy = ('sqlalchemy', 'sqlmodel', 'plotext', 'textual_plotext', 'torch')\n"
        "print([m for m in heavy if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


async def test_queued_runs_show_their_place_and_a_launch_its_progress(
    seeded_home: SeededHome, app_factory: AppFactory
) -> None:
    app = app_factory(seeded_home.home)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot, loaded(app))
        store = app.manager.store
        ids: list[int] = []
        for name in ("first", "second"):
            exp = store.create(name=name, host="local", config_json='{"gpus": 1}')
            assert exp.id is not None
            store.transition(exp.id, RunStatus.QUEUED, "waits", queue_reason="waiting for 1 GPU")
            ids.append(exp.id)
        table = table_of(app)
        table.reload()
        await settle(pilot, lambda: set(ids) <= set(table.shown_ids))

        def cells(rid: int) -> list[str]:
            return [str(c) for c in table.get_row(str(rid))]

        assert "QUEUED #1" in cells(ids[0]) and "QUEUED #2" in cells(ids[1])
        assert "waiting for 1…" in cells(ids[1])  # why it waits, as far as it fits
        # The first leaves the queue and syncs its dataset: the second moves up.
        store.transition(ids[0], RunStatus.STARTING, "launching")
        syncing = "syncing dataset ducks to gpu1: 3/7 files"
        app.run_events.publish([StatusChanged(ids[0], RunStatus.STARTING, syncing)])
        await settle(pilot, lambda: "QUEUED #1" in cells(ids[1]), limit_s=2)
        assert "STARTING" in cells(ids[0])
        assert any(c.startswith("syncing data") and c.endswith("…") for c in cells(ids[0]))
