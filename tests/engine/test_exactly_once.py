"""Metrics are ingested exactly once: a follower killed with SIGKILL mid-run, two
followers at once, and a restart all give what an undisturbed parse gives."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FIXTURES, cli, replay
from tuitrain.output.lines import LineSplitter
from tuitrain.parsers import make_parser

RECORDED = [
    "yolo_cli_output_pipe.raw",
    "yolo_cli_output.raw",
    "detr_pl_output_tty.raw",
    "detr_pl_output_pipe_tqdm.raw",
    "rave_output_pipe.raw",
]


def expected_metrics(fixture: str) -> list[tuple[str, str, str, str]]:
    parser = make_parser("auto")
    segments, _ = LineSplitter().split((FIXTURES / fixture).read_bytes(), eof=True)
    rows = []
    for seg in segments:
        for m in parser.feed(seg.text, seg.final).metrics:
            rows.append(
                (
                    m.name,
                    "" if m.step is None else str(m.step),
                    "" if m.epoch is None else str(m.epoch),
                    repr(m.value),
                )
            )
    return rows


def _follower(home: Path, rid: str) -> subprocess.Popen[str]:
    env = {**os.environ, "TUITRAIN_HOME": str(home)}
    return subprocess.Popen(
        [sys.executable, "-m", "tuitrain", "wait", rid],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _cursor_version(home: Path, rid: str) -> int:
    db = home / "tuitrain.db"
    with sqlite3.connect(db, timeout=30) as conn:
        row = conn.execute(
            "SELECT version FROM ingest_cursors WHERE experiment_id=? AND source='log'", (int(rid),)
        ).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.parametrize("fixture", RECORDED)
def test_kill_9_of_the_follower_then_restart_loses_and_doubles_nothing(
    home: Path, tmp_path: Path, fixture: str
) -> None:
    gate = tmp_path / "gate"
    rid = cli(
        home,
        "run",
        "--name",
        fixture,
        "--",
        *replay(
            fixture, "--pace", "1.5", "--pause-at", "0.5", "--gate", str(gate), "--jsonl", "30"
        ),
        check=True,
    ).stdout.strip()
    first = _follower(home, rid)
    deadline = time.monotonic() + 60
    while _cursor_version(home, rid) < 1:  # the follower has committed a batch
        assert time.monotonic() < deadline and first.poll() is None
        time.sleep(0.02)
    first.send_signal(signal.SIGKILL)
    first.wait()
    gate.touch()
    # Two tuitrain processes now follow the same run at once.
    followers = [_follower(home, rid), _follower(home, rid)]
    for f in followers:
        out, err = f.communicate(timeout=120)
        assert f.returncode == 0, err
        assert out.strip() == f"{rid} COMPLETED"
    rows = list(csv.reader(io.StringIO(cli(home, "metrics", rid, "--csv", check=True).stdout)))[1:]
    from_log = [tuple(r) for r in rows if not r[0].startswith("replay/")]
    assert from_log == expected_metrics(fixture)
    from_jsonl = [r for r in rows if r[0] == "replay/index"]
    run_dir = json.loads(cli(home, "show", rid, "--json").stdout)["run_dir"]
    written = (Path(run_dir) / "metrics.jsonl").read_text().splitlines()
    assert len(from_jsonl) == len(written) > 0
    assert len({r[1] for r in from_jsonl}) == len(from_jsonl)  # no step twice


def test_every_recorded_output_gives_metrics_or_progress() -> None:
    for fixture in RECORDED:
        parser = make_parser("auto")
        segments, _ = LineSplitter().split((FIXTURES / fixture).read_bytes(), eof=True)
        progress = [r.progress for s in segments if (r := parser.feed(s.text, s.final)).progress]
        assert progress, fixture
        assert progress[-1].fraction is not None and progress[-1].fraction > 0.9, (
            fixture,
            progress[-1],
        )
