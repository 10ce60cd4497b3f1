from __future__ import annotations

import pytest

from tuitrain.metrics import Progress
from tuitrain.parsers import UltralyticsParser
from tuitrain.parsers.base import ParseResult

from .util import by_epoch, metrics_of, progresses, results, segments

YOLO = ["yolo_cli_output_pipe.raw", "yolo_cli_output.raw"]
BOX = ("precision(B)", "recall(B)", "mAP50(B)", "mAP50-95(B)")


def feed_lines(parser: UltralyticsParser, text: str) -> list[ParseResult]:
    """Feed ``\\n``-separated lines; ``\\r`` inside a line makes redraws."""
    out: list[ParseResult] = []
    for line in text.splitlines():
        *redraws, last = line.split("\r")
        out += [parser.feed(r, False) for r in redraws]
        out.append(parser.feed(last, True))
    return out


@pytest.mark.parametrize("fixture", YOLO)
def test_epoch_losses_are_the_final_rows(fixture: str) -> None:
    points = metrics_of(results(UltralyticsParser(), segments(fixture)))
    assert by_epoch(points, "train/box_loss") == {1: 1.731, 2: 4.99}
    assert by_epoch(points, "train/cls_loss") == {1: 1.259, 2: 3.04}
    assert by_epoch(points, "train/dfl_loss") == {1: 1.041, 2: 2.991}
    assert all(p.step is None for p in points)


@pytest.mark.parametrize("fixture", YOLO)
def test_validation_rows_per_epoch_and_final_best_pt(fixture: str) -> None:
    points = metrics_of(results(UltralyticsParser(), segments(fixture)))
    for name in BOX:
        assert by_epoch(points, f"metrics/{name}") == {1: 0.0, 2: 0.0}
        # The best.pt check after training is not a third epoch.
        assert by_epoch(points, f"final/{name}") == {2: 0.0}
    names = {p.name for p in points}
    assert len(names) == 3 + 4 + 4
    assert max(p.epoch or 0 for p in points) == 2


def test_progress_of_pipe_output() -> None:
    progress = progresses(results(UltralyticsParser(), segments("yolo_cli_output_pipe.raw")))
    seen = [(p.epoch, p.total_epochs, p.step, p.total_steps, p.rate) for p in progress]
    assert seen == [
        (1, 2, 0, 4, None),
        (1, 2, 1, 4, 3.0),
        (1, 2, 3, 4, 5.0),
        (1, 2, 4, 4, 6.8),
        (2, 2, 0, 4, None),
        (2, 2, 1, 4, 3.0),
        (2, 2, 3, 4, 5.4),
        (2, 2, 4, 4, 10.1),
    ]
    # 3 batches left in epoch 1 plus 4 of epoch 2, at 3.0 it/s.
    assert progress[1].eta_s == pytest.approx(7 / 3.0)
    assert progress[-1].eta_s == 0.0
    assert progress[-1].fraction == 1.0


def test_progress_of_tty_output() -> None:
    progress = progresses(results(UltralyticsParser(), segments("yolo_cli_output.raw")))
    seen = [(p.epoch, p.step, p.total_steps, p.rate) for p in progress]
    assert seen == [
        (1, 0, 4, None),
        (1, 2, 4, 3.3),
        (1, 4, 4, 7.5),
        (2, 0, 4, None),
        (2, 2, 4, 4.0),
        (2, 4, 4, 12.3),
    ]
    assert progress[1].fraction == pytest.approx(0.25)


SEG_RUN = """\
      Epoch    GPU_mem   box_loss   seg_loss   cls_loss   dfl_loss  Instances       Size
        1/3      1.21G      1.5      2.5      3.5      1.25         12        640: 50% ━━━━━━────── 4/8 2.0it/s 2.0s<2.0s\r\
        1/3      1.21G      1.234      2.345      3.456      1.111         12        640: 100% ━━━━━━━━━━━━ 8/8 2.1it/s 3.8s
                 Class     Images  Instances      Box(P          R      mAP50  mA…: 100% ━━━━━━━━━━━━ 2/2 4.0it/s 0.5s
                   all         16         40      0.512      0.433      0.471      0.301      0.498       0.41      0.455      0.262
                person         10         30      0.6        0.5        0.5        0.4        0.5         0.5       0.5        0.3
        2/3      1.21G      1.1      2.2      3.3      1.0         12        640: 75% ━━━━━━━━━─── 6/8 2.0it/s 3.0s<1.0s
"""


def test_segment_table_and_cut_validation_header() -> None:
    res = feed_lines(UltralyticsParser(), SEG_RUN)
    points = metrics_of(res)
    got = {p.name: p.value for p in points}
    assert got == {
        "train/box_loss": 1.234,
        "train/seg_loss": 2.345,
        "train/cls_loss": 3.456,
        "train/dfl_loss": 1.111,
        "metrics/precision(B)": 0.512,
        "metrics/recall(B)": 0.433,
        "metrics/mAP50(B)": 0.471,
        "metrics/mAP50-95(B)": 0.301,
        "metrics/precision(M)": 0.498,
        "metrics/recall(M)": 0.41,
        "metrics/mAP50(M)": 0.455,
        "metrics/mAP50-95(M)": 0.262,
    }
    assert {p.epoch for p in points} == {1}
    # Epoch 2 stopped at 6/8 and printed its row with \n (an interrupt): not an epoch.
    # 2 batches left in epoch 2 and 8 in epoch 3, at 2.0 it/s.
    assert progresses(res)[-1] == Progress(2, 3, 6, 8, 2.0, 5.0)


def test_classification_and_old_tqdm_tail() -> None:
    text = """\
      Epoch    GPU_mem       loss  Instances       Size
        1/5     0.352G      2.301         16        224: 100%|██████████| 10/10 [00:02<00:00,  4.12it/s]
               classes   top1_acc   top5_acc: 100%|██████████| 2/2 [00:00<00:00, 12.1it/s]
                   all      0.375      0.875
"""
    parser = UltralyticsParser()
    res = feed_lines(parser, text)
    points = metrics_of(res)
    assert [(p.name, p.value, p.epoch) for p in points] == [
        ("train/loss", 2.301, 1),
        ("metrics/accuracy_top1", 0.375, 1),
        ("metrics/accuracy_top5", 0.875, 1),
    ]
    progress = progresses(res)
    assert progress == [Progress(1, 5, 10, 10, 4.12, progress[0].eta_s)]
    assert progress[0].eta_s == pytest.approx(40 / 4.12)  # 4 more epochs of 10 batches


def test_rows_before_a_header_and_other_tables_are_ignored() -> None:
    parser = UltralyticsParser()
    lines = [
        "train: Scanning /data/labels/train.cache... 16 images: 100% ━━━━━━━━━━━━ 16/16 2.5Mit/s 0.0s",
        "        1/2         0G      1.731      1.259      1.041          7         64: 100% ━ 4/4",
        "                   all          8         17          0          0          0          0",
    ]
    assert not any(parser.feed(line, True) for line in lines)


def test_same_epoch_row_twice_is_recorded_once() -> None:
    parser = UltralyticsParser()
    header = "      Epoch    GPU_mem   box_loss   cls_loss   dfl_loss  Instances       Size"
    row = "        1/2         0G      1.731      1.259      1.041          7         64: 100% ━ 4/4 6.8it/s 0.6s"
    parser.feed(header, True)
    first = parser.feed(row, True)
    again = parser.feed(row, True)
    assert len(first.metrics) == 3
    assert again.metrics == []
    assert again.progress == first.progress
