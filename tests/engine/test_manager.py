"""TrainingManager with real child processes."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import threading
from pathlib import Path
from typing import Any

import psutil
import pytest

from tests.conftest import py, replay
from tuitrain.engine import make_manager
from tuitrain.runs.events import MetricsUpdated, OutputLines, RunEvent, RunFinished, StepUpdated
from tuitrain.runs.manager import TrainingManager
from tuitrain.runs.states import RunStatus

CRASH = """
import sys
print("epoch 1 loss: 0.5", flush=True)
def train():
    raise RuntimeError("cannot reshape tensor of 0 elements into shape [1, 0, -1]")
train()
"""


async def test_a_run_completes_with_its_metrics_and_transitions(manager: TrainingManager) -> None:
    code = "for i in range(5): print(f'step {i} loss: {1.0 / (i + 1):.3f} lr=0.01', flush=True)"
    rid = await manager.start_training({"name": "regex", "parser": "regex", "command": py(code)})
    exp = await manager.wait(rid)
    assert exp.status == RunStatus.COMPLETED and exp.exit_code == 0
    losses = [(r.step, r.value) for r in manager.store.metrics(rid, "loss")]
    assert losses == [(0, 1.0), (1, 0.5), (2, 0.333), (3, 0.25), (4, 0.2)]
    states = [t.to_status for t in manager.store.transitions(rid)]
    assert states == ["PENDING", "STARTING", "RUNNING", "COMPLETED"]
    assert json.loads(exp.summary_metrics_json)["loss"] == 0.2
    assert Path(exp.run_dir, "output.log").read_text().count("loss") == 5


async def test_a_crashing_child_ends_failed_with_its_error(manager: TrainingManager) -> None:
    rid = await manager.start_training({"name": "crash", "command": py(CRASH)})
    exp = await manager.wait(rid)
    assert exp.status == RunStatus.FAILED
    assert exp.exit_code == 1
    assert exp.error_summary is not None
    assert "RuntimeError: cannot reshape tensor of 0 elements" in exp.error_summary
    assert exp.error_summary.startswith("exit code 1")


async def test_recorded_rave_crash_keeps_the_traceback_last_line(manager: TrainingManager) -> None:
    rid = await manager.start_training(
        {
            "name": "rave-crash",
            "parser": "rave",
            "command": replay(
                "rave_output_pipe_channels0_error.raw", "--pace", "0.2", "--exit", "1"
            ),
        }
    )
    exp = await manager.wait(rid)
    assert exp.status == RunStatus.FAILED
    assert "RuntimeError: cannot reshape tensor of 0 elements" in (exp.error_summary or "")


async def test_stop_escalates_to_sigkill_for_a_child_that_ignores_sigterm(home: Path) -> None:
    mgr = make_manager(home, poll_interval=0.05, grace_period=0.5, flush_interval=0.02)
    await mgr.open()
    try:
        code = (
            "import signal, time\n"
            "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "print('ready', flush=True)\n"
            "time.sleep(120)\n"
        )
        rid = await mgr.start_training({"name": "stubborn", "command": py(code)})
        await _wait_for_output(mgr, rid, "ready")
        exp = mgr.get_experiment(rid)
        assert await mgr.stop_training(rid)
        exp = mgr.get_experiment(rid)
        assert exp.status == RunStatus.STOPPED
        assert exp.pid is not None
        # Nothing of the group is left running (zombies wait for init to reap them).
        left = [
            p
            for p in psutil.process_iter(["pid"])
            if _pgid(p.pid) == exp.pid and p.status() != psutil.STATUS_ZOMBIE
        ]
        assert left == []
        assert not await mgr.stop_training(rid)  # stopping a finished run says so
    finally:
        await mgr.close()


async def test_kill_9_of_the_whole_run_is_lost(manager: TrainingManager) -> None:
    code = "import time; print('ready', flush=True); time.sleep(120)"
    rid = await manager.start_training({"name": "victim", "command": py(code)})
    await _wait_for_output(manager, rid, "ready")
    exp = manager.get_experiment(rid)
    assert exp.pgid is not None
    os.killpg(exp.pgid, signal.SIGKILL)  # the wrapper dies too: no exit code is written
    exp = await manager.wait(rid)
    assert exp.status == RunStatus.LOST
    assert "without writing an exit code" in (exp.error_summary or "")


async def test_restart_makes_a_new_experiment_with_the_same_config(
    manager: TrainingManager,
) -> None:
    rid = await manager.start_training(
        {"name": "again", "command": py("print('loss: 1')"), "params": {"lr": 0.1}}
    )
    await manager.wait(rid)
    new = await manager.restart_training(rid)
    assert new != rid
    first, second = manager.get_experiment(rid), await manager.wait(new)
    assert second.restarted_from == rid
    assert (
        json.loads(second.config_json)["params"]
        == json.loads(first.config_json)["params"]
        == {"lr": 0.1}
    )
    assert second.run_dir != first.run_dir


async def test_listeners_get_batched_events_ending_with_run_finished(
    manager: TrainingManager,
) -> None:
    batches: list[list[RunEvent]] = []
    done = asyncio.Event()

    def listener(events: list[RunEvent]) -> None:
        batches.append(events)
        if any(isinstance(e, RunFinished) for e in events):
            done.set()

    manager.subscribe(listener)
    code = "for i in range(3000): print(f'step {i} loss: {i}', flush=i % 500 == 0)"
    rid = await manager.start_training({"name": "flood", "parser": "regex", "command": py(code)})
    await asyncio.wait_for(done.wait(), 60)
    events = [e for b in batches for e in b]
    lines = sum(len(e.lines) + e.dropped for e in events if isinstance(e, OutputLines))
    metrics = sum(len(e.metrics) for e in events if isinstance(e, MetricsUpdated))
    assert lines == 3000
    assert metrics == 3000
    assert any(isinstance(e, StepUpdated) for e in events)
    finished = [e for e in events if isinstance(e, RunFinished)]
    assert len(finished) == 1 and finished[0].success and finished[0].experiment_id == rid
    # 3000 lines arrive in far fewer listener calls.
    assert len(batches) < 100


async def test_a_run_that_ended_while_nobody_watched_is_settled_at_next_start(home: Path) -> None:
    first = make_manager(home, poll_interval=0.05)
    await first.open(follow=False)
    code = "for i in range(4): print(f'step {i} loss: {i}')"
    rid = await first.start_training({"name": "unwatched", "parser": "regex", "command": py(code)})
    await first.close()
    exit_file = Path(first.get_experiment(rid).run_dir, "exit_code")
    # Nobody follows: wait for the run itself to finish.
    while not exit_file.exists():
        await asyncio.sleep(0.01)
    second = make_manager(home, poll_interval=0.05)
    await second.open()
    try:
        exp = second.get_experiment(rid)
        assert exp.status == RunStatus.COMPLETED
        assert [r.value for r in second.store.metrics(rid, "loss")] == [0.0, 1.0, 2.0, 3.0]
    finally:
        await second.close()


async def test_bad_configs_create_nothing(manager: TrainingManager) -> None:
    from tuitrain.runs.config import ConfigError

    for config, reason in (
        ({"name": "x", "command": []}, "empty command"),
        ({"name": "x", "command": ["definitely-not-a-program"]}, "command not found"),
        ({"name": "", "command": ["true"]}, "needs a name"),
        ({"name": "x", "command": ["true"], "parser": "nope"}, "unknown parser"),
        ({"name": "x", "command": ["true"], "patterns": {"loss": "("}}, "loss"),
        ({"name": "x", "command": ["true"], "host": "gpu9"}, "unknown host"),
    ):
        try:
            await manager.start_training(config)
        except ConfigError as exc:
            assert reason in str(exc)
        else:
            raise AssertionError(f"{config} accepted")
    assert manager.list_experiments() == []


async def _wait_for_output(mgr: TrainingManager, rid: int, text: str) -> None:
    seen = asyncio.Event()

    def listener(events: list[RunEvent]) -> None:
        if any(
            isinstance(e, OutputLines) and e.experiment_id == rid and text in "\n".join(e.lines)
            for e in events
        ):
            seen.set()

    sub = mgr.subscribe(listener)
    try:
        await asyncio.wait_for(seen.wait(), 30)
    finally:
        sub.close()


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


async def test_wait_returns_once_the_models_are_registered(
    manager: TrainingManager, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The final state is committed before the models are registered: ``wait`` must
    not return in between (a script reading ``tuitrain models`` after it would miss them)."""
    from tuitrain.frameworks import artifacts

    real = artifacts.register_artifacts
    started, release = threading.Event(), threading.Event()
    registered: list[bool] = []

    def slow_register(*args: Any, **kwargs: Any) -> Any:
        started.set()
        release.wait(30)
        result = real(*args, **kwargs)
        registered.append(True)
        return result

    monkeypatch.setattr(artifacts, "register_artifacts", slow_register)
    rid = await manager.start_training({"name": "quick", "command": py("print('done')")})
    waiting = asyncio.create_task(manager.wait(rid))
    assert await asyncio.to_thread(started.wait, 30)
    assert manager.store.get(rid).status == RunStatus.COMPLETED  # the record says it ended
    # Several of wait()'s own polling periods: it must still be waiting.
    await asyncio.sleep(manager.reconcile_interval * 3)
    assert not waiting.done()
    release.set()
    exp = await waiting
    assert exp.status == RunStatus.COMPLETED and registered == [True]
