"""The Textual app: owns the TrainingManager and fans its events out to screens.

Nothing heavy is imported at module level: the store, SQLAlchemy and plotting load
after the first frame, so the app paints as fast as a bare Textual app.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.signal import Signal
from textual.worker import Worker, WorkerState

if TYPE_CHECKING:
    from tuitrain.runs.events import RunEvent
    from tuitrain.runs.manager import TrainingManager

ManagerFactory = Callable[[], "TrainingManager"]


def report_worker_error(node: MessagePump, event: Worker.StateChanged) -> None:
    """The safety net of every ``Worker.StateChanged`` handler: a worker that failed
    (``exit_on_error=False``) becomes a notification, never a traceback."""
    if event.state is WorkerState.ERROR:
        error = event.worker.error
        node.app.notify(
            f"{event.worker.name or 'task'} failed: {error}", severity="error", timeout=10
        )


class TuitrainApp(App[None]):
    """tuitrain's terminal UI."""

    CSS_PATH = "tuitrain.tcss"
    TITLE = "tuitrain"
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?", tooltip="Help: every key"),
        Binding("ctrl+q", "quit", "Quit", priority=True, tooltip="Quit (runs keep going)"),
    ]

    def __init__(self, manager_factory: ManagerFactory, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._manager_factory = manager_factory
        self._manager: TrainingManager | None = None
        # Batches of engine events, already coalesced by the manager's event hub (a
        # few per second at most); screens subscribe on mount.
        self.run_events: Signal[list[RunEvent]] = Signal(self, "run-events")
        # Published once the engine is open and reconciled.
        self.engine_ready: Signal[TrainingManager] = Signal(self, "engine-ready")

    @property
    def manager(self) -> TrainingManager:
        if self._manager is None:
            raise RuntimeError("the engine is not open yet")
        return self._manager

    @property
    def manager_ready(self) -> bool:
        return self._manager is not None

    def on_mount(self) -> None:
        from tuitrain.ui.screens.experiments import ExperimentsScreen

        self.push_screen(ExperimentsScreen())
        self.call_after_refresh(self._open_engine)

    async def _open_engine(self) -> None:
        try:
            # In a thread: importing the store (SQLAlchemy) must not freeze the keys.
            manager = await asyncio.to_thread(self._manager_factory)
            await manager.open()
        except Exception as exc:  # a broken database must not show a traceback
            self.notify(f"Cannot open the tuitrain database: {exc}", severity="error", timeout=30)
            return
        self._manager = manager
        manager.subscribe(self.run_events.publish)
        self.engine_ready.publish(manager)

    async def on_unmount(self) -> None:
        # Closing only stops watching: runs are detached and keep going.
        if self._manager is not None:
            await self._manager.close()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)

    # -- engine actions: app workers, so a stop outlives the screen that asked -------
    def _engine(self) -> TrainingManager | None:
        if self._manager is None:
            self.notify("The engine is still opening; try again in a moment", severity="warning")
        return self._manager

    @work(group="engine", exit_on_error=False, name="start")
    async def start_run(self, config: dict[str, Any]) -> int | None:
        """Start a training from a config (the wizard's); notifies how it went."""
        manager = self._engine()
        if manager is None:
            return None
        try:
            run_id = await manager.start_training(config)
            exp = manager.get_experiment(run_id)
        except Exception as exc:
            self.notify(f"Cannot start: {exc}", severity="error", timeout=10)
            return None
        if exp.status == "FAILED":
            self.notify(f"#{run_id} failed to start: {exp.error_summary}", severity="error")
        else:
            self.notify(f"Started #{run_id} {exp.name}")
        return run_id

    @work(group="engine", exit_on_error=False, name="stop")
    async def stop_run(self, experiment_id: int) -> bool:
        """TERM, then KILL after the grace period; may take seconds, hence a worker."""
        manager = self._engine()
        if manager is None:
            return False
        try:
            stopped = await manager.stop_training(experiment_id)
        except Exception as exc:
            self.notify(f"Cannot stop #{experiment_id}: {exc}", severity="error", timeout=10)
            return False
        if stopped:
            self.notify(f"Stopped #{experiment_id}")
        else:
            self.notify(f"#{experiment_id} is not running", severity="warning")
        return stopped

    @work(group="engine", exit_on_error=False, name="restart")
    async def restart_run(self, experiment_id: int) -> int | None:
        """The same config again, as a new experiment."""
        manager = self._engine()
        if manager is None:
            return None
        try:
            new_id = await manager.restart_training(experiment_id)
        except Exception as exc:
            self.notify(f"Cannot restart #{experiment_id}: {exc}", severity="error", timeout=10)
            return None
        self.notify(f"Restarted #{experiment_id} as #{new_id}")
        return new_id

    # -- command palette ------------------------------------------------------------
    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The app's commands, then every key of the current screen (and its focused
        widgets), so the palette finds each action by its name."""
        yield from super().get_system_commands(screen)
        seen: set[str] = set()
        for node, binding, enabled, _tooltip in screen.active_bindings.values():
            if node is self or not enabled or not binding.description:
                continue
            if node is not screen and not binding.show:
                continue  # a widget's cursor keys: not worth a command
            title = binding.tooltip or binding.description
            if title in seen:
                continue
            seen.add(title)
            yield SystemCommand(
                title,
                f"key: {self.get_key_display(binding)}",
                partial(self.run_action, binding.action, node),
            )

    def action_help(self) -> None:
        from tuitrain.ui.screens.help import HelpScreen

        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen(self.screen))


def make_app(home: Path | None = None, **manager_options: Any) -> TuitrainApp:
    """The app over the engine in ``home`` (default ``TUITRAIN_HOME``): used by the
    CLI and the tests alike."""

    def factory() -> TrainingManager:
        from tuitrain.engine import make_manager

        return make_manager(home, **manager_options)

    return TuitrainApp(factory)
