"""Outputs recorded from real runs made by this project's own tests and demo (Ultralytics
with torch 2.14.1 on CPU): the console parser must agree with the CSV the framework
itself wrote during the same run."""

from __future__ import annotations

import csv
from pathlib import Path

from tuitrain.output.lines import LineSplitter
from tuitrain.parsers import make_parser

RECORDED = Path(__file__).resolve().parents[1] / "fixtures" / "recorded"


def test_ultralytics_console_epochs_match_its_results_csv() -> None:
    parser = make_parser("auto")
    segments, _ = LineSplitter().split((RECORDED / "yolo_cli_3epochs.log").read_bytes(), eof=True)
    parsed: dict[tuple[str, int], float] = {}
    for seg in segments:
        for m in parser.feed(seg.text, seg.final).metrics:
            if m.epoch is not None and m.name.startswith("train/"):
                parsed[(m.name, m.epoch)] = m.value
    with open(RECORDED / "yolo_cli_3epochs_results.csv") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 3
    for row in rows:
        epoch = int(row["epoch"])
        for name in ("train/box_loss", "train/cls_loss", "train/dfl_loss"):
            # The console shows 4 significant digits of the value the CSV holds.
            assert parsed[(name, epoch)] == float(f"{float(row[name]):.4g}"), (name, epoch)
