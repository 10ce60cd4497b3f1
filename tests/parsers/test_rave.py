from __future__ import annotations

import pytest

from tuitrain.metrics import Progress
from tuitrain.parsers import RaveParser

from .util import metrics_of, progresses, results, segments


def test_training_progress_counts_global_steps_without_validation_batches() -> None:
    res = results(RaveParser(), segments("rave_output_pipe.raw"))
    assert metrics_of(res) == []  # the bar shows no losses: v_num only
    progress = progresses(res)
    steps = [p.step or 0 for p in progress]
    # 7 training + 1 validation batch per epoch ("8/8"), max_steps=20: 7 + 7 + 6.
    assert steps[0] == 0 and steps[-1] == 20
    assert steps == sorted(steps)
    assert sorted(set(steps)) == list(range(21))
    end_of_epoch0 = [p.step for p in progress[:20]]
    assert end_of_epoch0[-1] == 7
    assert progress[1] == Progress(step=1, rate=progress[1].rate)
    assert progress[1].rate == pytest.approx(1 / 1.49)  # "1.49s/it"
    assert all(p.epoch is None and p.total_epochs is None for p in progress)
    # max_steps is printed at the very end: from then on the total is known.
    assert progress[-1] == Progress(step=20, total_steps=20, rate=1.12, eta_s=0.0)
    assert progress[-1].fraction == 1.0


def test_max_steps_given_by_the_runner_gives_total_and_eta() -> None:
    progress = progresses(results(RaveParser(max_steps=20), segments("rave_output_pipe.raw")))
    assert progress[1].total_steps == 20
    assert progress[1].eta_s == pytest.approx(19 * 1.49)
    assert progress[1].fraction == pytest.approx(0.05)


def test_preprocess_progress() -> None:
    progress = progresses(results(RaveParser(), segments("rave_preprocess_output_pipe.raw")))
    assert progress[0] == Progress(step=0)
    assert progress[-1] == Progress(step=16, rate=12.97)
    assert [p.step for p in progress] == sorted(p.step or 0 for p in progress)


@pytest.mark.parametrize(
    ("fixture", "last_progress"),
    [
        ("rave_output_pipe_channels0_error.raw", None),
        ("rave_output_pipe_nsignal32768_error.raw", Progress(step=0)),
    ],
)
def test_crashes_parse_quietly(fixture: str, last_progress: Progress | None) -> None:
    parser = RaveParser()
    segs = segments(fixture)
    # _feed, not feed: prove that nothing raises, rather than relying on the safety net.
    res = [parser._feed(s.text, s.final) for s in segs]
    assert metrics_of(res) == []
    progress = progresses(res)
    assert (progress[-1] if progress else None) == last_progress


def test_mid_epoch_validation_is_not_counted() -> None:
    parser = RaveParser()
    bar = "Epoch 0:  50%|█████     | {n}/12 [00:05<00:05,  2.00it/s, v_num=0]"
    val = "Validation DataLoader 0: 100%|██████████| {n}/2 [00:00<00:00,  8.40it/s]"
    lines = [bar.format(n=4), val.format(n=0), val.format(n=1), bar.format(n=5)]
    lines += [val.format(n=2), bar.format(n=6), bar.format(n=7), val.format(n=0)]
    lines += [val.format(n=2), bar.format(n=9), bar.format(n=10)]
    steps = [r.progress.step for r in (parser.feed(x, False) for x in lines) if r.progress]
    # The bar counts training + validation batches: 5 = 4 + 1, 7 = 5 + 2, 10 = 6 + 4.
    assert steps == [4, 4, 4, 5, 5, 6]
