"""SVG snapshots of the GPU panel on recorded data: two H100s (one used by an
experiment, both busy by the default thresholds) and a host with no GPU."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.pilot import Pilot

from tests.ui.gpus_data import GpusApp

SnapCompare = Callable[..., bool]


async def read(pilot: Pilot[Any]) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_gpus_100x30(snap_compare: SnapCompare) -> None:
    assert snap_compare(GpusApp(), terminal_size=(100, 30), run_before=read)


def test_gpus_80x24(snap_compare: SnapCompare) -> None:
    assert snap_compare(GpusApp(), terminal_size=(80, 24), run_before=read)
