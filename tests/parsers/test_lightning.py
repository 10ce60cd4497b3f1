from __future__ import annotations

import pytest

from tuitrain.metrics import Progress
from tuitrain.parsers import LightningParser

from .util import by_step, metrics_of, progresses, results, segments

TQDM = "detr_pl_output_pipe_tqdm.raw"
RICH = "detr_pl_output_tty.raw"


def test_tqdm_train_loss_is_the_last_redraw_of_each_step() -> None:
    points = metrics_of(results(LightningParser(), segments(TQDM)))
    # At 2/4 the bar first shows step 1's 7.540, then the fresh 6.970.
    assert by_step(points, "train_loss") == {
        1: 7.54,
        2: 6.97,
        3: 5.02,
        4: 6.03,
        5: 5.75,
        6: 6.37,
        7: 7.05,
        8: 6.53,
    }
    assert {p.step: p.epoch for p in points if p.name == "train_loss"} == {
        1: 0,
        2: 0,
        3: 0,
        4: 0,
        5: 1,
        6: 1,
        7: 1,
        8: 1,
    }


def test_tqdm_val_loss_once_per_epoch_at_its_end() -> None:
    points = metrics_of(results(LightningParser(), segments(TQDM)))
    # val_loss stays in the postfix during all of epoch 1: recorded at steps 4 and 8 only.
    assert by_step(points, "val_loss") == {4: 6.73, 8: 6.73}
    assert [p.epoch for p in points if p.name == "val_loss"] == [0, 1]
    assert {p.name for p in points} == {"train_loss", "val_loss"}  # never v_num


def test_tqdm_progress() -> None:
    progress = progresses(results(LightningParser(), segments(TQDM)))
    first = progress[0]
    assert first == Progress(1, None, 0, 4, None, None)
    assert progress[1] == Progress(1, None, 1, 4, 27.55, None)
    assert [(p.epoch, p.step) for p in progress].count((2, 3)) == 2  # two redraws of 3/4
    assert progress[-1] == Progress(2, None, 4, 4, 18.77, None)
    assert {p.total_steps for p in progress} == {4}


def test_rich_train_and_val_loss() -> None:
    points = metrics_of(results(LightningParser(), segments(RICH)))
    assert by_step(points, "train_loss") == {
        1: 7.539,
        2: 6.974,
        3: 5.022,
        4: 6.03,
        5: 5.754,
        6: 6.374,
        7: 7.055,
        8: 6.532,
    }
    # 6.626 is the sanity check's (shown at 0/4): not a result. Epoch 1's 6.727 comes
    # only in the last redraw, after the stale 6.730 is shown again.
    assert by_step(points, "val_loss") == {4: 6.73, 8: 6.727}
    assert {p.name for p in points} == {"train_loss", "val_loss"}


def test_rich_progress_knows_the_epochs() -> None:
    progress = progresses(results(LightningParser(), segments(RICH)))
    assert progress[0] == Progress(1, 2, 0, 4, None, None)  # "Epoch 0/1", 0.00it/s
    two = next(p for p in progress if p.step == 2)
    assert (two.epoch, two.total_epochs, two.rate) == (1, 2, 28.82)
    assert two.eta_s == pytest.approx((2 + 4) / 28.82)  # rest of epoch 0 and all of epoch 1
    assert two.fraction == pytest.approx(0.25)
    assert progress[-1] == Progress(2, 2, 4, 4, 25.46, 0.0)


def feed_all(
    parser: LightningParser, lines: list[tuple[str, bool]]
) -> list[tuple[str, float, int | None]]:
    out = []
    for text, final in lines:
        out += [(m.name, m.value, m.step) for m in parser.feed(text, final).metrics]
    return out


def test_unknown_length_counts_steps_across_epochs() -> None:
    bar = "Epoch {e}: |          | {n}/? [00:01, 3.00it/s, v_num=1, loss=0.{n}]"
    lines = [(bar.format(e=e, n=n), False) for e in (0, 1) for n in (1, 2, 3)]
    lines.append(("done", True))
    got = feed_all(LightningParser(), lines)
    assert got == [
        ("loss", 0.1, 1),
        ("loss", 0.2, 2),
        ("loss", 0.3, 3),
        ("loss", 0.1, 4),
        ("loss", 0.2, 5),
        ("loss", 0.3, 6),
    ]


def test_epoch_level_values_without_validation_and_odd_values() -> None:
    bar = "Epoch {e}:  50%|█████     | {n}/2 [00:01<00:01, 1.50s/it, v_num=x1, a=nan, {post}]"
    lines = [
        (bar.format(e=0, n=1, post="loss=0.5"), False),
        (bar.format(e=0, n=2, post="loss=0.4"), False),
        (bar.format(e=0, n=2, post="loss=0.4, loss_epoch=0.45"), True),
        (bar.format(e=1, n=1, post="loss=0.3, loss_epoch=0.45"), False),
        (bar.format(e=1, n=2, post="loss=0.2, loss_epoch=0.45"), False),
        ("`Trainer.fit` stopped: `max_epochs=2` reached.", True),
    ]
    got = feed_all(LightningParser(), lines)
    assert got == [
        ("loss", 0.5, 1),
        ("loss", 0.4, 2),
        ("loss_epoch", 0.45, 2),
        ("loss", 0.3, 3),
        ("loss", 0.2, 4),
    ]


def test_slow_rate_and_validation_bars_give_no_train_progress() -> None:
    parser = LightningParser()
    slow = parser.feed("Epoch 0:  50%|█████     | 1/2 [00:02<00:02, 2.00s/it]", False)
    assert slow.progress is not None and slow.progress.rate == 0.5
    val = parser.feed(
        "Validation DataLoader 0:  50%|█████     | 1/2 [00:00<00:00, 50.56it/s]", True
    )
    assert not val


@pytest.mark.parametrize("fixture", [TQDM, RICH])
def test_prints_during_validation_change_nothing(fixture: str) -> None:
    plain = metrics_of(results(LightningParser(), segments(fixture)))
    parser = LightningParser()
    noisy = []
    for seg in segments(fixture):
        noisy += parser.feed(seg.text, seg.final).metrics
        if seg.text.startswith("Validation"):
            noisy += parser.feed("a callback prints something", True).metrics
    assert noisy == plain
