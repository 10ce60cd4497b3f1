from __future__ import annotations

import pytest

from tuitrain.metrics import MetricPoint, Progress
from tuitrain.parsers import RegexParser


def points(
    parser: RegexParser, *lines: str, final: bool = True
) -> list[tuple[str, float, int | None]]:
    out = []
    for line in lines:
        out += [(m.name, m.value, m.step) for m in parser.feed(line, final).metrics]
    return out


def test_defaults_find_loss_lr_and_step() -> None:
    got = points(RegexParser(), "step 10 | loss: 0.5 | lr=1e-4")
    assert got == [("loss", 0.5, 10), ("lr", 1e-4, 10)]


def test_loss_does_not_fire_inside_val_loss_or_train_loss() -> None:
    parser = RegexParser()
    assert points(parser, "val_loss: 0.7") == [("val_loss", 0.7, None)]
    assert points(parser, "Val Loss = 0.6") == [("val_loss", 0.6, None)]
    assert points(parser, "train_loss=0.3") == []
    assert points(parser, "loss 0.25 val_loss=0.5") == [
        ("loss", 0.25, None),
        ("val_loss", 0.5, None),
    ]


def test_step_applies_to_the_following_lines() -> None:
    parser = RegexParser()
    got = points(parser, "global_step: 7", "loss=0.9", "Step 8", "loss=0.8", "epoch 2 loss=0.7")
    assert got == [("loss", 0.9, 7), ("loss", 0.8, 8), ("loss", 0.7, 8)]
    assert parser.feed("loss=0.6", True).metrics == [MetricPoint("loss", 0.6, 8, 2)]


def test_step_with_total_gives_progress() -> None:
    result = RegexParser().feed("step 5/100 loss 1.5", True)
    assert result.progress == Progress(step=5, total_steps=100)
    assert result.metrics == [MetricPoint("loss", 1.5, 5)]


def test_huggingface_style_dict() -> None:
    line = "{'loss': 0.6931, 'learning_rate': 5e-05, 'epoch': 0.5}"
    assert points(RegexParser(), line) == [("loss", 0.6931, None), ("lr", 5e-05, None)]


def test_user_patterns_and_overrides() -> None:
    parser = RegexParser({"acc": r"acc(?:uracy)?=(\S+)", "loss": r"total (\d+\.\d+)"})
    assert points(parser, "accuracy=0.91 total 2.50 loss=9") == [
        ("acc", 0.91, None),
        ("loss", 2.5, None),
    ]
    assert points(parser, "acc=abc") == []  # not a number: skipped


def test_without_defaults_only_user_patterns() -> None:
    parser = RegexParser({"mAP": r"mAP ([0-9.]+)"}, defaults=False)
    assert points(parser, "loss 0.5 step 3 mAP 0.4") == [("mAP", 0.4, None)]


def test_redraws_do_not_repeat_a_value() -> None:
    parser = RegexParser()
    got = points(parser, "loss=0.5", "loss=0.5", "loss=0.4", final=False)
    assert got == [("loss", 0.5, None), ("loss", 0.4, None)]
    assert points(parser, "loss=0.4") == [("loss", 0.4, None)]  # a line that stays: recorded


@pytest.mark.parametrize(
    ("patterns", "message"),
    [
        ({"loss": "loss=([0-9.]+"}, "invalid regular expression for 'loss'"),
        ({"loss": "loss=[0-9.]+"}, "needs a capture group"),
        ({"": "x(1)"}, "needs a metric name"),
        ({"loss": ""}, "is empty"),
    ],
)
def test_bad_patterns_are_one_line_value_errors(patterns: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError) as info:
        RegexParser(patterns)
    assert message in str(info.value)
    assert "\n" not in str(info.value)
