"""The GPU panel: one section per host, a row per GPU with utilisation and memory
bars, temperature and the experiment using it; a host without GPUs or driver says so.
Read in a thread worker every two seconds (nvidia-smi, or NVML where local)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Static
from textual.worker import Worker

from tuitrain.gpus.panel import (
    GpuRow,
    HostGpus,
    bar,
    memory_text,
    percent_text,
    temperature_text,
)
from tuitrain.ui.app import TuitrainApp, report_worker_error
from tuitrain.ui.widgets.key_footer import KeyFooter

REFRESH_S = 2.0
BAR_CELLS = 10
COLUMNS = ("GPU", "Utilisation", "Memory", "Temp", "Experiment", "Name")
GpuReader = Callable[[], list[HostGpus]]


@dataclass
class GpusRead(Message):
    """A fresh look at every host's GPUs (from the worker thread)."""

    bubble = False  # for this screen only
    hosts: list[HostGpus]


def read_all(app: TuitrainApp) -> list[HostGpus]:
    """Every host of the engine, asked now (blocking)."""
    from tuitrain.gpus.panel import read_host_gpus
    from tuitrain.runs.manager import ACTIVE

    manager = app.manager
    active = manager.store.list_in(ACTIVE)
    return [read_host_gpus(h, manager.executor_for(h), active) for h in manager.executors]


def _bar_cell(percent: float | None, label: str, busy: bool) -> Text:
    text = Text(bar(percent, BAR_CELLS), style="bold red" if busy else "green")
    text.append(f" {label}")
    return text


def row_cells(row: GpuRow) -> tuple[str | Text, ...]:
    gpu = row.gpu
    busy = row.busy or ""
    util_busy = busy.startswith("utilization")
    mem_busy = busy.startswith("memory")
    who = row.user_text if row.usable else f"{row.user_text} (not for tuitrain)"
    return (
        str(gpu.index),
        _bar_cell(gpu.utilization, percent_text(gpu.utilization), util_busy),
        _bar_cell(gpu.memory_percent, memory_text(gpu), mem_busy),
        temperature_text(gpu.temperature_c),
        Text(who, style="bold" if any(u.experiment_id for u in row.users) else "dim"),
        gpu.name or "?",
    )


def host_title(host: HostGpus) -> str:
    state = host.snapshot.describe()
    via = f" via {host.snapshot.source}" if host.snapshot.ok else ""
    return f"{host.host}: {state}{via}"


class GpusScreen(Screen[None]):
    """GPUs of every host, refreshed every two seconds."""

    HELP_TITLE = "GPUs"
    BINDINGS = [
        Binding("r", "refresh", "Refresh", tooltip="Ask the hosts again now"),
        Binding("escape", "back", "Back", tooltip="Back to the experiments"),
    ]
    DEFAULT_CSS = """
    GpusScreen #gpus-summary { height: 1; padding: 0 1; background: $boost; }
    GpusScreen .gpu-host { padding: 1 1 0 1; text-style: bold; }
    GpusScreen .gpu-host.-none { text-style: none; color: $text-muted; }
    GpusScreen DataTable { height: auto; margin: 0 1; }
    """

    def __init__(self, reader: GpuReader | None = None) -> None:
        super().__init__()
        self._reader = reader
        self.hosts: list[HostGpus] = []
        self.reads = 0

    def compose(self) -> ComposeResult:
        yield Static("Asking the hosts for their GPUs…", id="gpus-summary", markup=False)
        yield VerticalScroll(id="gpus-hosts")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.action_refresh()
        self.set_interval(REFRESH_S, self.action_refresh)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)

    def action_refresh(self) -> None:
        self._read()

    def action_back(self) -> None:
        self.app.pop_screen()

    @work(thread=True, exclusive=True, exit_on_error=False, group="gpus", name="read GPUs")
    def _read(self) -> None:
        if self._reader is not None:
            hosts = self._reader()
        else:
            assert isinstance(self.app, TuitrainApp)
            if not self.app.manager_ready:
                return
            hosts = read_all(self.app)
        self.post_message(GpusRead(hosts))

    @on(GpusRead)
    async def _show(self, message: GpusRead) -> None:
        self.reads += 1
        same_layout = [(h.host, h.snapshot.ok, len(h.rows)) for h in message.hosts] == [
            (h.host, h.snapshot.ok, len(h.rows)) for h in self.hosts
        ]
        self.hosts = message.hosts
        if not same_layout:
            await self._rebuild()
        else:
            self._fill()
        gpus = sum(len(h.rows) for h in self.hosts)
        used = sum(1 for h in self.hosts for r in h.rows if r.users)
        summary = f"{len(self.hosts)} host{'s' if len(self.hosts) != 1 else ''}, {gpus} GPUs"
        self.query_one("#gpus-summary", Static).update(f"{summary}, {used} in use")

    async def _rebuild(self) -> None:
        box = self.query_one("#gpus-hosts", VerticalScroll)
        await box.remove_children()
        widgets: list[Static | DataTable[str | Text]] = []
        for i, host in enumerate(self.hosts):
            classes = "gpu-host" if host.snapshot.ok else "gpu-host -none"
            widgets.append(Static(host_title(host), classes=classes, id=f"host-{i}", markup=False))
            if host.snapshot.ok:
                table: DataTable[str | Text] = DataTable(
                    id=f"gpus-{i}", cursor_type="row", zebra_stripes=True
                )
                table.add_columns(*COLUMNS)
                widgets.append(table)
        await box.mount_all(widgets)
        self._fill()

    def _fill(self) -> None:
        for i, host in enumerate(self.hosts):
            self.query_one(f"#host-{i}", Static).update(host_title(host))
            if not host.snapshot.ok:
                continue
            table = self.query_one(f"#gpus-{i}", DataTable)
            table.clear()
            for row in host.rows:
                table.add_row(*row_cells(row), key=str(row.gpu.index))
