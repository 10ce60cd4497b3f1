"""A host with two recorded GPUs for queue tests: ``config.toml`` points the local
host's ``nvidia_smi`` at ``fake_nvidia_smi.py`` printing a real two-H100 output."""

from __future__ import annotations

import asyncio
import shlex
import sys
from pathlib import Path

from tuitrain.runs.events import RunEvent, StatusChanged
from tuitrain.runs.manager import TrainingManager
from tuitrain.runs.states import RunStatus

HERE = Path(__file__).parent
FAKE_SMI = HERE / "fake_nvidia_smi.py"
FIXTURES = HERE / "fixtures"

# Prints the GPUs it was given, then runs until its release file exists.
CHILD = """
import os, pathlib, sys, time
print("CVD=" + os.environ.get("CUDA_VISIBLE_DEVICES", "-"),
      "ORDER=" + os.environ.get("CUDA_DEVICE_ORDER", "-"), flush=True)
release = pathlib.Path(sys.argv[1])
deadline = time.time() + 120
while not release.exists():
    if time.time() > deadline:
        sys.exit(3)
    time.sleep(0.02)
"""


def fake_smi(gpus: str = "h100_two_gpus.csv", *options: str) -> str:
    return shlex.join([sys.executable, str(FAKE_SMI), str(FIXTURES / gpus), *options])


def write_gpu_config(
    home: Path,
    smi: str | None = None,
    memory: float = 100,
    utilization: float = 100,
    extra: str = "",
) -> None:
    """Two recorded GPUs on ``local``; thresholds of 100 never call them busy (the
    recording shows them at 100% utilisation)."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "config.toml").write_text(
        f"[gpus]\nbusy_memory_percent = {memory}\nbusy_utilization_percent = {utilization}\n\n"
        f"[hosts.local]\nnvidia_smi = {smi or fake_smi()!r}\n{extra}"
    )


def child(release: Path) -> list[str]:
    return [sys.executable, "-c", CHILD, str(release)]


class StatusWatch:
    """Every status change the manager publishes, awaitable."""

    def __init__(self, manager: TrainingManager) -> None:
        self.seen: list[tuple[int, RunStatus]] = []
        self._changed = asyncio.Event()
        manager.subscribe(self._on_events)

    def _on_events(self, batch: list[RunEvent]) -> None:
        for event in batch:
            if isinstance(event, StatusChanged):
                self.seen.append((event.experiment_id, event.status))
        self._changed.set()

    async def reached(self, rid: int, status: RunStatus, timeout: float = 60) -> None:
        async def until() -> None:
            while (rid, status) not in self.seen:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(until(), timeout)
