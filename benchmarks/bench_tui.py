"""TUI benchmarks: launch to first frame, key-press latency under load, memory.

Prints figures and ratios against baselines measured in the same run (no assertions):

1. Launch to first frame of ``python -m tuitrain`` (no arguments, a private
   TUITRAIN_HOME seeded with four finished runs) beside a bare Textual app (an App with
   one Static), both measured the same way, interleaved, N times each (medians):
   a. in a real pseudo-terminal: a tmux session (100x30, private server, TERM
      tmux-256color) runs the command; ``capture-pane`` is polled from the spawn until
      the first frame's text is on screen (tuitrain: the summary line above its
      table), then until the seeded runs are listed. Goal: within 1.3x of bare.
   b. headless, no terminal: spawn to the first frame the compositor renders
      (``App._display`` hooked), to see the cost without the terminal in the way;
   c. ``-X importtime`` of the same headless launch: what is imported before the
      first frame (beyond what the bare app imports) and what only after it.
2. Key press to screen update, in process: the real app over the same home through
   ``App.run_test(size=(100, 30))``; keys go in as the terminal driver sends them
   (``driver.send_message``, no Pilot pauses, which would force a repaint) and the
   time is taken when the compositor renders a frame that shows the change
   (``App._display`` hooked: the table's cursor row moved, the help screen is
   painted, the experiments screen is painted again). Cursor moves up and down the
   table with ``?``/``escape`` every tenth press. Measured with no run streaming,
   then while eight runs started through the real CLI (``tuitrain run --parser
   auto``) print recorded YOLO/Lightning outputs in a loop at thousands of lines a
   second each (this script's ``--stream`` mode). Goal: 95th percentile < 50 ms.
3. Memory with a 1 GB log open in the log viewer: runs benchmarks/bench_log_viewer.py
   (goal < 150 MB RSS) and prints its figures as they come.

Usage: python benchmarks/bench_tui.py [--repeat 7] [--presses 60] [--streams 8]
       [--rate 2000] [--skip-memory] [--memory-mb 1024]
Every child process (runs included: ``tuitrain stop``) and temporary folder is
cleaned up at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "outputs"
REPLAY = ROOT / "tests" / "helpers" / "replay.py"
PIECE = re.compile(rb"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
SIZE = (100, 30)

# name, fixture, parser, exit code: finished runs in the seeded home.
SEEDS = (
    ("seed-yolo-done", "yolo_cli_output_pipe.raw", "auto", 0),
    ("seed-detr-done", "detr_pl_output_pipe_tqdm.raw", "auto", 0),
    ("seed-rave-failed", "rave_output_pipe_channels0_error.raw", "rave", 1),
    ("seed-yolo-tty", "yolo_cli_output.raw", "auto", 0),
)
STREAM_FIXTURES = (
    "yolo_cli_output_pipe.raw",
    "detr_pl_output_pipe_tqdm.raw",
    "yolo_cli_output.raw",
    "detr_pl_output_tty.raw",
)
BARE_TEXT = "bare textual app"
FIRST_FRAME = ("Opening the engine", "No runs yet", " running")  # tuitrain's summary line
ROWS_SHOWN = "seed-yolo-done"
# Packages whose import before the first frame would be a regression (issue 3).
HEAVY = (
    "sqlalchemy",
    "sqlmodel",
    "pydantic",
    "plotext",
    "textual_plotext",
    "psutil",
    "PIL",
    "numpy",
    "torch",
)
MARK = "@@first-frame"

# A headless launch, timed by the parent from the spawn: prints the wall clock of the
# first frame the compositor renders (and, for tuitrain, of the first with the runs,
# and the event loop's longest stall in between: keys typed then wait that long).
HEADLESS_CHILD = f"""
import asyncio, os, sys, threading, time
guard = threading.Timer(60, os._exit, (3,))  # never outlive the benchmark
guard.daemon = True
guard.start()
mode = sys.argv[1]
if mode == "bare":
    from textual.app import App
    from textual.widgets import Static

    class Bare(App):
        def compose(self):
            yield Static({BARE_TEXT!r})

    app = Bare()
else:
    import tuitrain.cli.main, tuitrain.cli.tui
    from tuitrain.ui.app import make_app

    app = make_app()
display = app._display
times = []
stall = [0.0]

async def probe():
    while len(times) < 2:
        t = time.perf_counter()
        await asyncio.sleep(0.002)
        stall[0] = max(stall[0], time.perf_counter() - t - 0.002)

def hook(screen, renderable):
    display(screen, renderable)
    if renderable is None:
        return
    if not times and screen.children:
        times.append(time.time())
        print({MARK!r}, file=sys.stderr, flush=True)
        if mode == "bare":
            app.exit()
        else:
            asyncio.ensure_future(probe())
    elif len(times) == 1:
        tables = screen.query("LiveExperimentsTable")
        if tables and tables.first().loaded:
            times.append(time.time())
            app.exit()

app._display = hook
app.run(headless=True, size={SIZE!r})
print(" ".join(map(repr, times)), stall[0])
"""

BARE_APP = f"""
from textual.app import App
from textual.widgets import Static

class Bare(App):
    def compose(self):
        yield Static({BARE_TEXT!r})

Bare().run()
"""


# -- small helpers ------------------------------------------------------------------
def median_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile, in ms."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] * 1000


def spread(values: list[float]) -> str:
    return f"median {median_ms(values):.0f} ms (min {min(values) * 1000:.0f}, max {max(values) * 1000:.0f})"


def load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def env_for(home: Path) -> dict[str, str]:
    env = dict(os.environ, TUITRAIN_HOME=str(home))
    env.pop("TMUX", None)
    return env


def cli(home: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    """The real ``tuitrain`` CLI over ``home``."""
    return subprocess.run(
        [sys.executable, "-m", "tuitrain", *args],
        cwd=ROOT,
        env=env_for(home),
        capture_output=True,
        text=True,
        check=check,
        stdin=subprocess.DEVNULL,
    )


def pieces_of(fixture: str) -> list[bytes]:
    return PIECE.findall((FIXTURES / fixture).read_bytes())


# -- the streaming child (a run's command) ----------------------------------------------
def stream(fixture: str, rate: float, seconds: float) -> int:
    """Print a recorded output in a loop, ``rate`` pieces (lines or ``\\r`` redraws) a
    second, in 10 ms batches, until ``seconds`` have passed (or SIGTERM)."""
    pieces = pieces_of(fixture)
    out = sys.stdout.buffer
    start = time.monotonic()
    written = 0
    i = 0
    while True:
        now = time.monotonic() - start
        if now >= seconds:
            return 0
        due = int(now * rate) - written
        if due > 0:
            batch = [pieces[(i + k) % len(pieces)] for k in range(due)]
            i = (i + due) % len(pieces)
            out.write(b"".join(batch))
            out.flush()
            written += due
        time.sleep(0.01)


# -- the seeded home --------------------------------------------------------------------
def seed_home(home: Path) -> None:
    """Four finished runs, started and followed to the end through the real CLI."""
    ids = []
    for name, fixture, parser, code in SEEDS:
        command = [sys.executable, str(REPLAY), str(FIXTURES / fixture), "--pace", "0.2"]
        command += ["--exit", str(code)]
        out = cli(home, "run", "--name", name, "--parser", parser, "--", *command)
        ids.append(out.stdout.split()[0])
    for rid in ids:
        cli(home, "wait", rid, check=False)


# -- 1a. launch to first frame in a real pseudo-terminal (tmux) -------------------------
class Tmux:
    """A private tmux server (own socket, no config) for the launches."""

    def __init__(self, folder: Path, home: Path) -> None:
        self.socket = folder / "tmux.sock"
        self.env = env_for(home)
        self.count = 0
        self("new-session", "-d", "-s", "keep", "sleep 3600")
        self("set-option", "-g", "default-terminal", "tmux-256color")

    def __call__(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(
            ["tmux", "-S", str(self.socket), "-f", "/dev/null", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=check,
            stdin=subprocess.DEVNULL,
        )
        return out.stdout

    def launch(
        self, command: list[str], first: Callable[[str], bool], then: Callable[[str], bool]
    ) -> tuple[float, float]:
        """Seconds from the spawn until ``first(screen)``, then until ``then(screen)``."""
        self.count += 1
        name = f"t{self.count}"
        width, height = SIZE
        started = time.perf_counter()
        pid = int(
            self(
                "new-session", "-d", "-P", "-F", "#{pane_pid}", "-s", name, "-x", str(width),
                "-y", str(height), shlex.join(command),
            ).strip()
        )  # fmt: skip
        t_first = t_then = math.nan
        deadline = started + 30
        try:
            while time.perf_counter() < deadline:
                screen = self("capture-pane", "-p", "-t", name, check=False)
                now = time.perf_counter() - started
                if math.isnan(t_first) and first(screen):
                    t_first = now
                if not math.isnan(t_first) and then(screen):
                    t_then = now
                    break
                time.sleep(0.003)
        finally:
            self("send-keys", "-t", name, "C-q", check=False)
            gone = time.monotonic() + 5
            while time.monotonic() < gone and _alive(pid):
                time.sleep(0.01)
            self("kill-session", "-t", name, check=False)
        return t_first, t_then

    def close(self) -> None:
        self("kill-server", check=False)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def bench_startup_pty(home: Path, folder: Path, repeat: int) -> None:
    bare_cmd = [sys.executable, "-c", BARE_APP]
    app_cmd = [sys.executable, "-m", "tuitrain"]

    def bare_seen(screen: str) -> bool:
        return BARE_TEXT in screen

    def app_seen(screen: str) -> bool:
        return any(marker in screen for marker in FIRST_FRAME)

    def rows_seen(screen: str) -> bool:
        return ROWS_SHOWN in screen

    tmux = Tmux(folder, home)
    bare: list[float] = []
    first: list[float] = []
    rows: list[float] = []
    try:
        tmux.launch(bare_cmd, bare_seen, bare_seen)  # warm-up: caches, bytecode
        tmux.launch(app_cmd, app_seen, rows_seen)
        for _ in range(repeat):
            bare.append(tmux.launch(bare_cmd, bare_seen, bare_seen)[0])
            f, r = tmux.launch(app_cmd, app_seen, rows_seen)
            first.append(f)
            rows.append(r)
    finally:
        tmux.close()
    if any(math.isnan(v) for v in bare + first + rows):
        print("  (some launches never showed their text within 30 s: nan below)")
    ratio = statistics.median(first) / statistics.median(bare)
    print(f"  bare Textual app (one Static):  {spread(bare)}")
    print(
        f"  tuitrain, first frame:          {spread(first)}  -> {ratio:.2f}x bare "
        f"(+{median_ms(first) - median_ms(bare):.0f} ms; goal <= 1.3x)"
    )
    print(
        f"  tuitrain, seeded runs listed:   {spread(rows)}  -> "
        f"{statistics.median(rows) / statistics.median(bare):.2f}x bare"
    )


# -- 1b/1c. headless launch: spawn to the compositor's first frame; imports -------------
def headless_launch(home: Path, mode: str, importtime: bool = False) -> tuple[list[float], str]:
    command = [sys.executable, *(["-X", "importtime"] if importtime else [])]
    started = time.time()
    out = subprocess.run(
        [*command, "-c", HEADLESS_CHILD, mode],
        cwd=ROOT,
        env=env_for(home),
        capture_output=True,
        text=True,
        check=True,
        stdin=subprocess.DEVNULL,
        timeout=90,
    )
    *stamps, stall = (float(v) for v in out.stdout.strip().splitlines()[-1].split())
    return [t - started for t in stamps] + [stall], out.stderr


def bench_startup_headless(home: Path, repeat: int) -> None:
    bare: list[float] = []
    first: list[float] = []
    rows: list[float] = []
    stalls: list[float] = []
    headless_launch(home, "bare")
    headless_launch(home, "tuitrain")
    for _ in range(repeat):
        bare.append(headless_launch(home, "bare")[0][0])
        stamps = headless_launch(home, "tuitrain")[0]
        first.append(stamps[0])
        rows.append(stamps[1])
        stalls.append(stamps[2])
    print(f"  bare Textual app:               {spread(bare)}")
    print(
        f"  tuitrain, first frame:          {spread(first)}  -> "
        f"{statistics.median(first) / statistics.median(bare):.2f}x bare"
    )
    print(
        f"  tuitrain, seeded runs rendered: {spread(rows)}  -> "
        f"{statistics.median(rows) / statistics.median(bare):.2f}x bare"
    )
    print(
        f"  event loop's longest stall between the two (the engine opening; a key typed "
        f"then waits): {spread(stalls)}"
    )


def parse_importtime(stderr: str) -> tuple[dict[str, int], dict[str, int]]:
    """Modules (name -> self µs) imported before the first frame, and after it."""
    before: dict[str, int] = {}
    after: dict[str, int] = {}
    target = before
    for line in stderr.splitlines():
        if line.startswith(MARK):
            target = after
            continue
        m = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s+(.+)$", line)
        if m:
            target[m.group(2).strip()] = int(m.group(1))
    return before, after


def by_package(modules: dict[str, int]) -> list[tuple[str, float, int]]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for name, us in modules.items():
        top = name.split(".")[0]
        totals[top][0] += us
        totals[top][1] += 1
    return sorted(((k, v[0] / 1000, v[1]) for k, v in totals.items()), key=lambda t: -t[1])


def fmt_packages(rows: list[tuple[str, float, int]], limit: int = 8) -> str:
    return ", ".join(f"{name} {ms:.0f} ms/{n}" for name, ms, n in rows[:limit]) or "none"


def bench_imports(home: Path) -> None:
    bare, _ = parse_importtime(headless_launch(home, "bare", importtime=True)[1])
    app, later = parse_importtime(headless_launch(home, "tuitrain", importtime=True)[1])
    extra = {k: v for k, v in app.items() if k not in bare}
    print(
        f"  before the first frame: bare {len(bare)} modules ({sum(bare.values()) / 1000:.0f} ms "
        f"self time), tuitrain {len(app)} ({sum(app.values()) / 1000:.0f} ms); "
        f"times inflated by -X importtime"
    )
    print(f"  heaviest before the first frame (tuitrain): {fmt_packages(by_package(app))}")
    print(
        f"  beyond the bare app's: {len(extra)} modules, {sum(extra.values()) / 1000:.0f} ms: "
        f"{fmt_packages(by_package(extra))}"
    )
    heavy_before = sorted({m.split(".")[0] for m in app} & set(HEAVY))
    heavy_after = sorted({m.split(".")[0] for m in later} & set(HEAVY))
    print(
        f"  heavy packages before the first frame: {', '.join(heavy_before) or 'none'}; "
        f"loaded after it (engine, store): {', '.join(heavy_after) or 'none'}"
    )
    print(
        f"  after the first frame, until the runs are shown: {len(later)} modules, "
        f"{sum(later.values()) / 1000:.0f} ms: {fmt_packages(by_package(later), 6)}"
    )


# -- 2. key press to screen update --------------------------------------------------------
KEYS = {"down": None, "up": None, "question_mark": "?", "escape": "\x1b"}


async def key_latency(
    home: Path, presses: int, gap: float, expect_active: int, warmup: float
) -> tuple[dict[str, list[float]], float, float]:
    """Latencies by kind ("cursor", "help open", "help close"), the app process' CPU
    share during the presses and their wall time."""
    from textual import events

    from tuitrain.ui.app import make_app
    from tuitrain.ui.screens.experiments import ExperimentsScreen
    from tuitrain.ui.screens.help import HelpScreen
    from tuitrain.ui.widgets.live_experiments import LiveExperimentsTable

    app = make_app(home)
    loop = asyncio.get_running_loop()
    waiting: list[tuple[Callable[[Any], bool], asyncio.Future[float]]] = []
    display = app._display

    def hook(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if renderable is not None and waiting:
            check, future = waiting[0]
            if not future.done() and check(screen):
                future.set_result(time.perf_counter())

    app._display = hook  # type: ignore[method-assign]
    results: dict[str, list[float]] = defaultdict(list)
    async with app.run_test(size=SIZE):

        def table() -> LiveExperimentsTable:
            return app.screen.query_one(LiveExperimentsTable)

        deadline = time.monotonic() + 60
        while True:
            if isinstance(app.screen, ExperimentsScreen) and app.manager_ready:
                t = table()
                active = sum(1 for r in t.runs.values() if r.status.is_active)
                if t.loaded and t.row_count >= len(SEEDS) and active >= expect_active:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError("the experiments table never showed the runs")
            await asyncio.sleep(0.05)
        await asyncio.sleep(warmup)
        experiments = app.screen
        rows = table().row_count
        driver = app._driver
        assert driver is not None
        cpu0, wall0 = time.process_time(), time.perf_counter()
        step = 1
        for i in range(presses):
            if i % 10 == 8:
                key, kind = "question_mark", "help open"

                def check(screen: Any) -> bool:
                    return isinstance(screen, HelpScreen)

            elif i % 10 == 9:
                key, kind = "escape", "help close"

                def check(screen: Any) -> bool:
                    return screen is experiments and app.screen is experiments

            else:
                row = table().cursor_row
                if not 0 <= row + step < rows:
                    step = -step
                key, kind, target = ("down" if step > 0 else "up"), "cursor", row + step

                def check(screen: Any, target: int = target) -> bool:
                    return screen is experiments and table().cursor_row == target

            future: asyncio.Future[float] = loop.create_future()
            waiting[:] = [(check, future)]
            started = time.perf_counter()
            driver.send_message(events.Key(key, KEYS[key]))
            try:
                results[kind].append(await asyncio.wait_for(future, 5) - started)
            except TimeoutError:
                results[kind].append(math.inf)
                print(f"  ! press {i} ({key}) showed nothing within 5 s")
            waiting.clear()
            await asyncio.sleep(gap)
        cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0)
        wall = time.perf_counter() - wall0
    return results, cpu, wall


def report_latency(label: str, results: dict[str, list[float]], cpu: float) -> list[float]:
    every = [v for values in results.values() for v in values]
    print(
        f"  {label}: {len(every)} presses  p50 {pct(every, 50):.1f} ms  "
        f"p95 {pct(every, 95):.1f} ms  max {max(every) * 1000:.1f} ms  "
        f"(app process CPU {cpu * 100:.0f}% of a core)"
    )
    parts = [
        f"{kind} p50 {pct(v, 50):.1f} / p95 {pct(v, 95):.1f} / max {max(v) * 1000:.1f} ms (n={len(v)})"
        for kind, v in results.items()
    ]
    print("      " + "; ".join(parts))
    return every


def start_streams(home: Path, count: int, rate: float, seconds: float) -> list[str]:
    ids = []
    for n in range(count):
        fixture = STREAM_FIXTURES[n % len(STREAM_FIXTURES)]
        command = [sys.executable, str(Path(__file__).resolve()), "--stream", fixture]
        command += ["--rate", str(rate), "--seconds", str(seconds)]
        out = cli(home, "run", "--name", f"r{n + 1}", "--parser", "auto", "--", *command)
        ids.append(out.stdout.split()[0])
    return ids


def stream_bytes(home: Path, ids: list[str]) -> int:
    total = 0
    for rid in ids:
        with contextlib.suppress(OSError):
            total += (home / "runs" / rid / "output.log").stat().st_size
    return total


def stop_streams(home: Path, ids: list[str]) -> None:
    """``tuitrain stop`` each (in parallel), then SIGKILL any group still alive."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tuitrain", "stop", rid],
            cwd=ROOT,
            env=env_for(home),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        for rid in ids
    ]
    for rid, proc in zip(ids, procs, strict=True):
        _, err = proc.communicate(timeout=60)
        if proc.returncode:
            print(f"  (tuitrain stop {rid}: {err.decode().strip()})")
    listed = json.loads(cli(home, "ls", "--json").stdout)
    for doc in listed:
        if str(doc["id"]) in ids and doc["status"] in ("STARTING", "RUNNING") and doc["pid"]:
            print(f"  (run {doc['id']} still {doc['status']}: killing its process group)")
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(doc["pid"], signal.SIGKILL)


def bench_latency(home: Path, args: argparse.Namespace) -> None:
    quiet, cpu, _ = asyncio.run(key_latency(home, args.presses, args.gap, 0, 0.5))
    base = report_latency("no run streaming ", quiet, cpu)
    seconds = 120 + args.presses * (args.gap + 0.05) * 2  # they stop themselves after
    ids = start_streams(home, args.streams, args.rate, seconds)
    try:
        b0, t0 = stream_bytes(home, ids), time.monotonic()
        loaded, cpu, _ = asyncio.run(key_latency(home, args.presses, args.gap, len(ids), 3.0))
        b1, t1 = stream_bytes(home, ids), time.monotonic()
        mean_piece = statistics.mean(
            len(b"".join(pieces_of(f))) / len(pieces_of(f)) for f in STREAM_FIXTURES
        )
        lines = (b1 - b0) / mean_piece / (t1 - t0)
        print(
            f"  while {len(ids)} runs stream ({lines:,.0f} lines/s in all, "
            f"{(b1 - b0) / (t1 - t0) / 2**20:.1f} MiB/s, followed by the app):"
        )
        load = report_latency(f"{len(ids)} runs streaming", loaded, cpu)
        print(
            f"  ratio streaming/idle: p50 {pct(load, 50) / pct(base, 50):.2f}x, "
            f"p95 {pct(load, 95) / pct(base, 95):.2f}x; goal p95 < 50 ms: "
            f"{'met' if pct(load, 95) < 50 else 'NOT met'} ({pct(load, 95):.1f} ms)"
        )
    finally:
        stop_streams(home, ids)


# -- 3. memory --------------------------------------------------------------------------
def bench_memory(size_mb: int, folder: Path) -> None:
    script = Path(__file__).with_name("bench_log_viewer.py")
    if not script.exists():
        print("  benchmarks/bench_log_viewer.py is missing: see its figures in BENCHMARKS.md")
        return
    # Its log and home go to a folder of ours (TMPDIR), removed with the rest.
    tmp = folder / "log-viewer"
    tmp.mkdir()
    proc = subprocess.run(
        [sys.executable, str(script), "--size-mb", str(size_mb)],
        cwd=ROOT,
        env=dict(os.environ, TMPDIR=str(tmp)),
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    for line in proc.stdout.splitlines():
        print(f"  {line}")
    if proc.returncode:
        print(f"  (bench_log_viewer.py exited {proc.returncode}: {proc.stderr.strip()[-500:]})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repeat", type=int, default=7, help="launches of each app (default 7)")
    ap.add_argument("--presses", type=int, default=60, help="key presses per scenario")
    ap.add_argument("--gap", type=float, default=0.1, help="seconds between presses")
    ap.add_argument("--streams", type=int, default=8, help="runs streaming output")
    ap.add_argument("--rate", type=float, default=2000, help="lines a second, each run")
    ap.add_argument("--skip-memory", action="store_true", help="skip bench_log_viewer.py")
    ap.add_argument("--memory-mb", type=int, default=1024, help="log size for the memory part")
    ap.add_argument("--stream", metavar="FIXTURE", help=argparse.SUPPRESS)
    ap.add_argument("--seconds", type=float, default=60, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.stream:
        raise SystemExit(stream(args.stream, args.rate, args.seconds))
    if shutil.which("tmux") is None:
        raise SystemExit("tmux is needed for the launch benchmark")
    folder = Path(tempfile.mkdtemp(prefix="tuitrain-tui-bench-"))
    home = folder / "home"
    started = time.perf_counter()
    try:
        print(
            f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, terminal {SIZE[0]}x{SIZE[1]}, "
            f"load average {load()} (other processes skew the figures)"
        )
        seed_home(home)
        print(f"1a. launch to first frame in a pty (tmux), {args.repeat} launches each:")
        bench_startup_pty(home, folder, args.repeat)
        print(f"1b. launch to first compositor frame, headless, {args.repeat} launches each:")
        bench_startup_headless(home, args.repeat)
        print("1c. imports (python -X importtime, headless launch):")
        bench_imports(home)
        print(
            f"2. key press to screen update ({args.presses} presses, {args.gap * 1000:.0f} ms "
            f"apart; run_test at {SIZE[0]}x{SIZE[1]}):"
        )
        bench_latency(home, args)
        if args.skip_memory:
            print("3. memory: skipped (benchmarks/bench_log_viewer.py)")
        else:
            print(f"3. memory, {args.memory_mb} MiB log in the log viewer (bench_log_viewer.py):")
            bench_memory(args.memory_mb, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print(f"total {time.perf_counter() - started:.0f} s, load average {load()}")


if __name__ == "__main__":
    main()
