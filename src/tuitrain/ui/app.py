"""The Textual app: owns the TrainingManager and fans its events out to screens.

Nothing heavy is imported at module level: the store, SQLAlchemy and plotting load
after the first frame, so the app paints as fast as a bare Textual app.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.binding import Binding
from textual.signal import Signal

if TYPE_CHECKING:
    from tuitrain.runs.events import RunEvent
    from tuitrain.runs.manager import TrainingManager

ManagerFactory = Callable[[], "TrainingManager"]


class TuitrainApp(App[None]):
    """tuitrain's terminal UI."""

    CSS_PATH = "tuitrain.tcss"
    TITLE = "tuitrain"
    BINDINGS = [
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
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
            manager = self._manager_factory()
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
