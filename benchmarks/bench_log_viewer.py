"""Log viewer benchmark: a generated 1 GB training log open in the viewer.

Each measurement runs in a fresh subprocess (so RSS is its own), headless through
Textual's Pilot at 100x30:

- ``bare``: a bare Textual app, the baseline RSS of Python + Textual;
- ``view``: a small app holding only a ``LogView`` of the log;
- ``app``: the real tuitrain app (engine, store) with ``LogScreen`` on a run whose
  ``output.log`` is the generated log.

Figures: time from opening the log to its last lines on screen, time until the whole
file is indexed (and lines/s), time to search for the last line and to filter the
whole file, the memory the line index holds, and RSS after indexing and at its peak.
Goal (issue 3): under 150 MB RSS with a 1 GB log open. Figures are printed, not
asserted.

Usage: python benchmarks/bench_log_viewer.py [--size-mb 1024] [--log PATH] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

NEEDLE = "RuntimeError: CUDA error: an illegal memory access was encountered"


def generate_log(path: Path, size: int) -> None:
    """Ultralytics-style epoch rows redrawn with ``\\r ESC[K``, Lightning TQDM bars,
    validation rows and plain lines, about 100 bytes a line; a crash at the end."""
    header = (
        "\x1b[34m\x1b[1mtrain: \x1b[0mScanning /data/coco/labels/train2017.cache... 117266 images\n"
    )
    rows = []
    for i in range(1000):
        loss = 1.5 / (1 + i / 200)
        rows.append(
            f"\r\x1b[K  {i // 10 + 1:4d}/300   7.41G   {loss:.4f}   {loss * 1.3:.4f}   "
            f"{loss * 0.9:.4f}   212   640: {i % 100:3d}% ━━━━━━╸━━━━━ {i % 100}/100 4.2it/s\n"
        )
        if i % 10 == 9:
            rows.append(
                f"                 all       5000      36335      0.{i:03d}      0.5{i % 10}"
                f"       0.48       0.33\n"
            )
        if i % 25 == 0:
            bar = "".join(
                f"\rEpoch {i}: {p:3d}%|{'█' * (p // 10):<10}| {p}/100 [00:{p % 60:02d}<00:30, "
                f"3.2it/s, v_num=0, train_loss={loss:.3f}]"
                for p in range(0, 101, 20)
            )
            rows.append(bar + "\n")
    block = (header + "".join(rows)).encode()
    with path.open("wb") as fh:
        written = 0
        while written + len(block) < size:
            fh.write(block)
            written += len(block)
        fh.write(f"Traceback (most recent call last):\n{NEEDLE}\n".encode())


def rss_mb() -> float:
    import psutil

    return float(psutil.Process().memory_info().rss) / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


async def measure(mode: str, log: Path) -> dict[str, Any]:
    from textual.app import App, ComposeResult

    if mode == "bare":

        class Bare(App[None]):
            def compose(self) -> ComposeResult:
                from textual.widgets import Static

                yield Static("bare")

        async with Bare().run_test(size=(100, 30)) as pilot:
            await pilot.pause()
            return {"rss_mb": rss_mb(), "peak_mb": peak_mb()}

    from tuitrain.output.log_filter import compile_query
    from tuitrain.ui.widgets.log_view import LogView

    figures: dict[str, Any] = {}
    started = time.perf_counter()
    if mode == "view":

        class Viewer(App[None]):
            def compose(self) -> ComposeResult:
                yield LogView(log)

        app: App[None] = Viewer()
    else:
        app = make_tuitrain_app(log)
    async with app.run_test(size=(100, 30)) as pilot:
        if mode == "app":
            from tuitrain.ui.screens.logs import LogScreen

            while not getattr(app, "manager_ready", False):
                await pilot.pause(0.01)
            started = time.perf_counter()
            app.push_screen(LogScreen(1))
        while not app.screen.query(LogView):
            await pilot.pause(0.001)
        view = app.screen.query_one(LogView)
        height = view.scrollable_content_region.height
        while not (height and NEEDLE in view.render_line(height - 1).text):
            await pilot.pause(0.001)
            height = view.scrollable_content_region.height
        figures["first_screen_s"] = time.perf_counter() - started
        figures["rss_first_screen_mb"] = rss_mb()
        while view.source is not view.index:
            await pilot.pause(0.01)
        figures["indexed_s"] = time.perf_counter() - started
        figures["lines"] = view.index.line_count
        figures["index_mb"] = view.index.nbytes / 2**20
        await app.workers.wait_for_complete()
        await pilot.pause()
        figures["rss_indexed_mb"] = rss_mb()
        t = time.perf_counter()
        found = view.index.search(compile_query(NEEDLE), 0)
        figures["search_s"] = time.perf_counter() - t
        figures["search_found"] = found
        t = time.perf_counter()
        view.set_filter(compile_query("CUDA error"))
        while view.line_filter is None or not view.line_filter.done:
            await pilot.pause(0.01)
        await app.workers.wait_for_complete()
        figures["filter_s"] = time.perf_counter() - t
        figures["filter_rows"] = view.row_count
        figures["rss_mb"] = rss_mb()
        figures["peak_mb"] = peak_mb()
    return figures


def make_tuitrain_app(log: Path) -> Any:
    """The real app over a home with one run whose output is ``log``."""
    from tuitrain.engine import make_manager
    from tuitrain.executors.base import OUTPUT_LOG
    from tuitrain.runs.states import RunStatus
    from tuitrain.ui.app import make_app

    home = Path(tempfile.mkdtemp(prefix="tuitrain-bench-"))
    manager = make_manager(home)
    exp = manager.store.create(name="big-log", framework="yolo", config_json="{}")
    assert exp.id is not None
    run_dir = manager.runs_root / str(exp.id)
    run_dir.mkdir(parents=True)
    (run_dir / OUTPUT_LOG).symlink_to(log)
    manager.store.transition(exp.id, RunStatus.STARTING, "bench", run_dir=str(run_dir))
    manager.store.transition(exp.id, RunStatus.FAILED, "bench", exit_code=1, completed_at=0.0)
    manager.store.db.dispose()
    return make_app(home)


def child(mode: str, log: Path) -> None:
    print(json.dumps(asyncio.run(measure(mode, log))))


def run_child(mode: str, log: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--log", str(log)],
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--log", type=Path, default=None, help="an existing log to open")
    ap.add_argument("--keep", action="store_true", help="keep the generated log")
    ap.add_argument("--child", choices=("bare", "view", "app"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args.child, args.log)
        return
    tmp = Path(tempfile.mkdtemp(prefix="tuitrain-log-bench-"))
    log = args.log or tmp / "output.log"
    if args.log is None:
        t = time.perf_counter()
        generate_log(log, args.size_mb * 2**20)
        print(
            f"generated {log} ({log.stat().st_size / 2**20:.0f} MiB) in {time.perf_counter() - t:.1f} s"
        )
    size_mb = log.stat().st_size / 2**20
    bare = run_child("bare", log)
    print(f"bare Textual app: RSS {bare['rss_mb']:.1f} MiB (peak {bare['peak_mb']:.1f})")
    for mode in ("view", "app"):
        f = run_child(mode, log)
        print(
            f"{mode:>4}: {size_mb:.0f} MiB, {f['lines']:,} lines | last lines on screen "
            f"{f['first_screen_s'] * 1000:.0f} ms (RSS {f['rss_first_screen_mb']:.1f} MiB) | "
            f"indexed {f['indexed_s']:.2f} s ({f['lines'] / f['indexed_s'] / 1e6:.1f} M lines/s, "
            f"{size_mb / f['indexed_s']:.0f} MiB/s), index {f['index_mb']:.1f} MiB | "
            f"search to the end {f['search_s']:.2f} s | filter {f['filter_s']:.2f} s "
            f"({f['filter_rows']} rows) | RSS {f['rss_indexed_mb']:.1f} MiB indexed, "
            f"{f['rss_mb']:.1f} after search+filter, peak {f['peak_mb']:.1f} (goal < 150)"
        )
    if args.log is None and not args.keep:
        log.unlink()
        os.rmdir(tmp)


if __name__ == "__main__":
    main()
