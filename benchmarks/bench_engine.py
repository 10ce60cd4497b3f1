"""Engine benchmarks: parse throughput and the cost of being followed.

Prints figures and ratios against baselines measured in the same run:

1. Parse throughput on a generated 1,000,000-line log in the style of Lightning's
   TQDM bar and Ultralytics' epoch table (``\\r`` redraws, ANSI codes), through the
   real splitter + auto parser, beside a raw line count of the same file.
   Goal: >= 1,000,000 lines/s; the ratio to the raw count is reported.
2. A child printing as fast as it can: alone (stdout to a file, as a run's output is)
   vs launched and followed by tuitrain (ingesting live). Goal: ratio >= 0.97.

Usage: python benchmarks/bench_engine.py [--lines N] [--child-lines N] [--repeat K]
Every run uses its own temporary TUITRAIN_HOME.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tuitrain.output.lines import LineSplitter
from tuitrain.parsers import make_parser

CHUNK = 4 * 1024 * 1024


def generate_log(path: Path, lines: int) -> None:
    """Half Lightning TQDM redraws, half Ultralytics table redraws, with epoch ends."""
    out = []
    bar = "█" * 5 + " " * 5
    per_epoch = 1000
    n = 0
    epoch = 0
    while n < lines:
        for i in range(1, per_epoch + 1):
            if n >= lines:
                break
            if (n // 50_000) % 2 == 0:
                out.append(
                    f"Epoch {epoch}:  {i * 100 // per_epoch:3d}%|{bar}| {i}/{per_epoch} "
                    f"[00:{i % 60:02d}<00:10, 26.56it/s, v_num=0, train_loss={1 / (i + 1):.3f}]"
                    + ("\n" if i == per_epoch else "\r")
                )
            else:
                out.append(
                    f"\x1b[K        {epoch + 1}/1000         0G      {1 / (i + 1):.4g}      2.607"
                    f"      2.461          8         64: {i * 100 // per_epoch}% ━━━━━━─── "
                    f"{i}/{per_epoch} 5.0it/s 0.6s<0.2s" + ("\n" if i == per_epoch else "\r")
                )
            n += 1
        epoch += 1
    path.write_text("".join(out))


def raw_line_count(path: Path) -> int:
    count = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            count += chunk.count(b"\n") + chunk.count(b"\r")
    return count


def parse_file(path: Path) -> tuple[int, int]:
    splitter = LineSplitter()
    parser = make_parser("auto")
    segments = metrics = 0
    pending = b""
    with open(path, "rb") as fh:
        while True:
            chunk = fh.read(CHUNK)
            data = pending + chunk
            segs, used = splitter.split(data, eof=not chunk)
            pending = data[used:]
            feed = parser.feed
            for s in segs:
                metrics += len(feed(s.text, s.final).metrics)
            segments += len(segs)
            if not chunk:
                return segments, metrics


def best_time(fn, repeat: int) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    times = []
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return min(times), result


CHILD = "import sys,time\nt=time.perf_counter()\nw=sys.stdout.write\nfor i in range({n}):\n    w(f'step {{i}} loss: {{1/(i+1):.5f}} lr=0.001\\n')\nsys.stdout.flush()\nsys.stderr.write(f'CHILD_SECONDS {{time.perf_counter()-t}}\\n')\n"


def child_alone(n: int, workdir: Path) -> float:
    log = workdir / "alone.log"
    with open(log, "wb") as out:
        proc = subprocess.run(
            [sys.executable, "-c", CHILD.format(n=n)],
            stdout=out,
            stderr=subprocess.PIPE,
            text=True,
            check=True,
        )
    return float(proc.stderr.split()[-1])


async def child_followed(n: int, home: Path) -> tuple[float, int]:
    from tuitrain.engine import make_manager

    mgr = make_manager(home, poll_interval=0.1, flush_interval=0.25)
    await mgr.open()
    try:
        rid = await mgr.start_training(
            {
                "name": "bench",
                "parser": "regex",
                "command": [sys.executable, "-c", CHILD.format(n=n)],
            }
        )
        exp = await mgr.wait(rid)
        text = Path(exp.run_dir, "output.log").read_text()
        seconds = float(text.rsplit("CHILD_SECONDS", 1)[1].split()[0])
        return seconds, mgr.store.metric_count(rid)
    finally:
        await mgr.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=1_000_000)
    ap.add_argument("--child-lines", type=int, default=2_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["TUITRAIN_HOME"] = str(work / "home")
        log = work / "bench.log"
        generate_log(log, args.lines)
        size_mb = log.stat().st_size / 1e6
        t_raw, raw = best_time(lambda: raw_line_count(log), args.repeat)
        t_parse, (segs, metrics) = best_time(lambda: parse_file(log), args.repeat)  # type: ignore[misc]
        print(f"log: {args.lines:,} lines, {size_mb:.1f} MB")
        print(
            f"raw line count:      {raw:>10,} lines in {t_raw:.3f} s = {raw / t_raw:>14,.0f} lines/s"
        )
        print(
            f"split+parse (auto):  {segs:>10,} lines in {t_parse:.3f} s = {segs / t_parse:>14,.0f} lines/s"
            f"  ({metrics:,} metric points)"
        )
        print(
            f"parse/raw ratio: {t_raw / t_parse:.4f}   goal >= 1,000,000 lines/s: "
            f"{'MET' if segs / t_parse >= 1e6 else 'NOT MET'}"
        )

        alone = [child_alone(args.child_lines, work) for _ in range(args.repeat)]
        followed = []
        for k in range(args.repeat):
            home = work / f"home{k}"
            seconds, count = asyncio.run(child_followed(args.child_lines, home))
            followed.append(seconds)
        a, f = statistics.median(alone), statistics.median(followed)
        print(
            f"child printing {args.child_lines:,} lines: alone {a:.3f} s, followed by tuitrain {f:.3f} s"
            f" (medians of {args.repeat}; {count:,} metric points ingested)"
        )
        print(
            f"speed ratio alone/followed: {a / f:.3f}   goal >= 0.97: {'MET' if a / f >= 0.97 else 'NOT MET'}"
        )


if __name__ == "__main__":
    main()
