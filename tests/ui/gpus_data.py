"""Fixed GPU panel data from recorded nvidia-smi output (tests/gpus/fixtures): host
``gpu1`` with two H100s, GPU 2 used by experiment #7; ``local`` with no GPU."""

from __future__ import annotations

from textual.app import App

from tests.gpus.support import FIXTURES
from tuitrain.gpus.config import HostGpuSettings
from tuitrain.gpus.model import GpuSnapshot, SnapshotState
from tuitrain.gpus.panel import HostGpus, host_gpus
from tuitrain.gpus.smi_csv import snapshot_from_output
from tuitrain.store.models import Experiment
from tuitrain.ui.screens.gpus import GpusScreen

NO_GPU = "no GPU: nvidia-smi is not installed (no NVIDIA driver)"


def recorded_hosts() -> list[HostGpus]:
    snap = snapshot_from_output("gpu1", 0, (FIXTURES / "h100_two_gpus.csv").read_text(), "")
    run = Experiment(id=7, name="yolo-small", host="gpu1", status="RUNNING", gpu_ids="2")
    local = GpuSnapshot("local", SnapshotState.NOT_INSTALLED, message=NO_GPU)
    return [
        HostGpus("local", local),
        host_gpus(snap, HostGpuSettings("gpu1"), [run], local=False),
    ]


class GpusApp(App[None]):
    """The GPU panel alone, on fixed data."""

    def __init__(self) -> None:
        super().__init__()
        self.screen_under_test = GpusScreen(recorded_hosts)

    def on_mount(self) -> None:
        self.push_screen(self.screen_under_test)
