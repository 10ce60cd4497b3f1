"""Fixtures for the TUI tests: homes seeded through the real store and manager.

Seeded runs have no live process: each gets a run folder with a recorded output (and
an exit-code file), is registered with a pid that does not exist, and the manager's
own ``refresh`` ingests it and settles its final state, as it would after a restart.
Times are fixed relative to ``FIXED_NOW`` and the table's clock is patched to it, so
texts and snapshots do not depend on when the tests run.

The fixtures are sync (they run the engine with ``asyncio.run``) so that both Pilot
tests (async) and ``snap_compare`` tests (sync) can use them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.conftest import FAST_ENGINE, FIXTURES, REPLAY
from tuitrain.engine import make_manager
from tuitrain.executors.base import EXIT_CODE_FILE, OUTPUT_LOG
from tuitrain.executors.local import boot_id
from tuitrain.runs.config import validate_config
from tuitrain.runs.manager import TrainingManager
from tuitrain.runs.states import RunStatus
from tuitrain.store.models import Project
from tuitrain.ui.app import TuitrainApp, make_app
from tuitrain.ui.widgets import run_rows

FIXED_NOW = 1_773_489_600.0  # 2026-03-14 12:00:00 UTC: the clock of every UI test
HOUR = 3600.0
NO_SUCH_PID = 4_194_999  # above Linux's largest pid_max: never a live process


@dataclass
class SeededHome:
    """A TUITRAIN_HOME with known runs; ``ids`` maps each run's name to its id."""

    home: Path
    ids: dict[str, int] = field(default_factory=dict)
    projects: dict[str, int] = field(default_factory=dict)
    live_id: int | None = None  # set by the ``live_run`` fixture


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[float]:
    """The table's clock at ``FIXED_NOW`` and local time in UTC."""
    monkeypatch.setattr(run_rows, "now", lambda: FIXED_NOW)
    old_tz = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield FIXED_NOW
    if old_tz is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old_tz
    time.tzset()


def replay_command(fixture: str, *options: str) -> list[str]:
    return [sys.executable, str(REPLAY), str(FIXTURES / fixture), *options]


def _config(name: str, framework: str, parser: str, command: list[str], **params: Any) -> str:
    config = validate_config(
        {"name": name, "framework": framework, "parser": parser, "command": command}
        | {"params": params}
    )
    return json.dumps(config)


async def _seed_finished(
    mgr: TrainingManager,
    *,
    name: str,
    framework: str,
    parser: str,
    fixture: str,
    exit_code: int | None,
    started: float,
    completed: float,
    project_id: int | None = None,
    stop_requested: bool = False,
    **params: Any,
) -> int:
    """A run that ran (the recorded output) and ended while nobody watched."""
    command = replay_command(fixture, "--pace", "0.2", "--exit", str(exit_code or 0))
    exp = mgr.store.create(
        name=name,
        framework=framework,
        host="local",
        project_id=project_id,
        config_json=_config(name, framework, parser, command, **params),
        created_at=started - 5,
    )
    assert exp.id is not None
    run_dir = mgr.runs_root / str(exp.id)
    run_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FIXTURES / fixture, run_dir / OUTPUT_LOG)
    if exit_code is not None:
        (run_dir / EXIT_CODE_FILE).write_text(f"{exit_code}\n")
        os.utime(run_dir / EXIT_CODE_FILE, (completed, completed))
    mgr.store.transition(exp.id, RunStatus.STARTING, "seeded", run_dir=str(run_dir))
    mgr.store.transition(
        exp.id,
        RunStatus.RUNNING,
        "seeded",
        pid=NO_SUCH_PID,
        pgid=NO_SUCH_PID,
        process_start="0",
        boot_id=boot_id(),
        started_at=started,
        stop_requested=stop_requested,
    )
    await mgr.refresh(exp.id)  # ingests the output, finds the process gone, settles
    mgr.store.update(exp.id, completed_at=completed)  # LOST gets "now" otherwise
    return exp.id


async def _seed(home: Path) -> SeededHome:
    mgr = make_manager(home, **FAST_ENGINE)
    seeded = SeededHome(home)
    try:
        with mgr.store.db.write() as session:
            for project in ("detection", "audio"):
                session.add(Project(name=project, created_at=FIXED_NOW - 30 * 24 * HOUR))
        with mgr.store.db.read() as session:
            from sqlmodel import select

            seeded.projects = {p.name: p.id for p in session.scalars(select(Project)) if p.id}
        t = FIXED_NOW
        runs = (
            dict(
                name="detr-coco-stopped",
                framework="detr",
                parser="lightning",
                fixture="detr_pl_output_pipe_tqdm.raw",
                exit_code=143,
                stop_requested=True,
                started=t - 26 * HOUR,
                completed=t - 25 * HOUR,
                project_id=seeded.projects["detection"],
                epochs=2,
                batch_size=2,
                lr=1e-4,
            ),
            dict(
                name="rave-v2-lost",
                framework="rave",
                parser="rave",
                fixture="rave_output_pipe.raw",
                exit_code=None,
                started=t - 5 * 24 * HOUR,
                completed=t - 5 * 24 * HOUR + 2 * HOUR,
                project_id=seeded.projects["audio"],
                config="v2",
                max_steps=20,
            ),
            dict(
                name="yolo11n-coco8",
                framework="yolo",
                parser="ultralytics",
                fixture="yolo_cli_output_pipe.raw",
                exit_code=0,
                started=t - 3 * HOUR,
                completed=t - 3 * HOUR + 46 * 60,
                project_id=seeded.projects["detection"],
                model="yolo11n.yaml",
                epochs=2,
                imgsz=64,
                batch=4,
            ),
            dict(
                name="rave-crash",
                framework="rave",
                parser="rave",
                fixture="rave_output_pipe_channels0_error.raw",
                exit_code=1,
                started=t - 1.5 * HOUR,
                completed=t - 1.5 * HOUR + 61,
                project_id=seeded.projects["audio"],
                config="v2_small",
                max_steps=20,
            ),
        )
        for run in runs:
            rid = await _seed_finished(mgr, **run)
            seeded.ids[str(run["name"])] = rid
    finally:
        await mgr.close()
        mgr.store.db.dispose()
    return seeded


@pytest.fixture
def seeded_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SeededHome:
    """A TUITRAIN_HOME (also set in the environment) with four finished runs:

    - ``detr-coco-stopped`` (detr, STOPPED by the user, project "detection"),
    - ``rave-v2-lost`` (rave, LOST: no exit code, project "audio"),
    - ``yolo11n-coco8`` (yolo, COMPLETED, metrics ingested from the recorded YOLO
      output, project "detection"),
    - ``rave-crash`` (rave, FAILED with the recorded RuntimeError as error summary,
      project "audio"),

    in that order of ids (1 to 4). Their configs are real replay commands, so a
    restart runs for real (and ends quickly).
    """
    home = tmp_path / "home"
    monkeypatch.setenv("TUITRAIN_HOME", str(home))
    return asyncio.run(_seed(home))


def _pause_size(fixture: str, fraction: float) -> int:
    """Where ``replay.py --pause-at fraction`` stops writing (it pauses after the
    piece that crosses the fraction)."""
    data = (FIXTURES / fixture).read_bytes()
    written = 0
    for piece in re.finditer(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", data):
        written += len(piece.group(0))
        if written >= fraction * len(data):
            break
    return written


LIVE_FIXTURE = "yolo_cli_output_pipe.raw"
LIVE_PAUSE = 0.81


async def _start_live(seeded: SeededHome, gate: Path) -> int:
    mgr = make_manager(seeded.home, **FAST_ENGINE)
    await mgr.open(follow=False)
    try:
        command = replay_command(
            LIVE_FIXTURE, "--pace", "0.5", "--pause-at", str(LIVE_PAUSE), "--gate", str(gate)
        )
        config = {"name": "yolo11s-live", "framework": "yolo", "parser": "ultralytics"}
        rid = await mgr.start_training(config | {"command": command, "params": {"epochs": 2}})
        exp = mgr.get_experiment(rid)
        assert exp.status == RunStatus.RUNNING, exp.error_summary
        log = Path(exp.run_dir) / OUTPUT_LOG
        want = _pause_size(LIVE_FIXTURE, LIVE_PAUSE)
        deadline = time.monotonic() + 30
        while not (log.exists() and log.stat().st_size >= want):
            if time.monotonic() > deadline:
                raise AssertionError(f"the replay did not reach its pause ({want} bytes)")
            await asyncio.sleep(0.02)  # an outside process: polling is all there is
        await mgr.refresh(rid)  # ingest everything up to the pause
        started = FIXED_NOW - 10 * 60
        mgr.store.update(rid, started_at=started, created_at=started - 2)
        return rid
    finally:
        await mgr.close()
        mgr.store.db.dispose()


@pytest.fixture
def live_run(seeded_home: SeededHome, tmp_path: Path) -> Iterator[SeededHome]:
    """``seeded_home`` plus ``yolo11s-live`` (id 5, no project): a real replayed
    YOLO training held RUNNING at a fixed point of its output (a gate file it waits
    for), so its progress is the same on every run. Stopped at teardown."""
    gate = tmp_path / "gate"
    rid = asyncio.run(_start_live(seeded_home, gate))
    seeded_home.live_id = rid
    seeded_home.ids["yolo11s-live"] = rid
    try:
        yield seeded_home
    finally:
        mgr = make_manager(seeded_home.home)
        try:
            exp = mgr.get_experiment(rid)
            if exp.pgid is not None and RunStatus(exp.status).is_active:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(exp.pgid, signal.SIGKILL)
        finally:
            gate.touch()
            mgr.store.db.dispose()


@pytest.fixture
def app_factory() -> Callable[[Path], TuitrainApp]:
    """``make_app`` with a fast engine (short polls), as tests want it."""

    def factory(home: Path) -> TuitrainApp:
        return make_app(home, **FAST_ENGINE)

    return factory


async def settle(
    pilot: Pilot[Any], until: Callable[[], bool] = lambda: True, limit_s: float = 20.0
) -> None:
    """Let the engine open, workers finish and messages drain until ``until()``."""
    app = pilot.app
    deadline = time.monotonic() + limit_s
    while True:
        await app.workers.wait_for_complete()
        await pilot.pause()
        if isinstance(app, TuitrainApp) and app.manager_ready and until():
            await app.workers.wait_for_complete()
            await pilot.pause()
            return
        if time.monotonic() > deadline:
            raise AssertionError("the UI did not get there in time")
        await pilot.pause(0.02)


def loaded(app: TuitrainApp) -> Callable[[], bool]:
    """True once the experiments table has read the database."""

    def check() -> bool:
        from tuitrain.ui.widgets.live_experiments import LiveExperimentsTable

        tables = app.screen.query(LiveExperimentsTable)
        return bool(tables) and tables.first().loaded

    return check
