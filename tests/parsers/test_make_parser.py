from __future__ import annotations

from collections.abc import Callable

import pytest

from tuitrain.parsers import (
    PARSER_NAMES,
    AutoParser,
    LightningParser,
    OutputParser,
    RaveParser,
    RegexParser,
    UltralyticsParser,
    WithPatterns,
    make_parser,
)

from .util import by_epoch, by_step, metrics_of, progresses, results, segments

DETECTED = {
    "yolo_cli_output_pipe.raw": "ultralytics",
    "yolo_cli_output.raw": "ultralytics",
    "detr_pl_output_pipe_tqdm.raw": "lightning",
    "detr_pl_output_tty.raw": "lightning",
    "rave_output_pipe.raw": "rave",
    "rave_preprocess_output_pipe.raw": "rave",
    "rave_output_pipe_channels0_error.raw": "rave",
    "rave_output_pipe_nsignal32768_error.raw": "rave",
}
EXPLICIT: dict[str, Callable[[], OutputParser]] = {
    "ultralytics": UltralyticsParser,
    "lightning": LightningParser,
    "rave": RaveParser,
}


def test_names_and_types() -> None:
    assert PARSER_NAMES == ("auto", "ultralytics", "lightning", "rave", "regex")
    made = {name: make_parser(name) for name in PARSER_NAMES}
    assert {name: p.name for name, p in made.items()} == {n: n for n in PARSER_NAMES}
    assert isinstance(made["auto"], AutoParser)
    assert isinstance(made["regex"], RegexParser)
    assert isinstance(make_parser("ultralytics", {"x": "x=(1)"}), WithPatterns)


def test_unknown_name_and_bad_pattern() -> None:
    with pytest.raises(ValueError, match="unknown parser 'yolo'"):
        make_parser("yolo")
    for name in PARSER_NAMES:
        with pytest.raises(ValueError, match="invalid regular expression for 'acc'"):
            make_parser(name, {"acc": "acc=("})


@pytest.mark.parametrize(("fixture", "framework"), sorted(DETECTED.items()))
def test_auto_detects_and_matches_the_explicit_parser(fixture: str, framework: str) -> None:
    segs = segments(fixture)
    auto = AutoParser()
    auto_res = results(auto, segs)
    assert auto.detected == framework
    explicit_res = results(EXPLICIT[framework](), segs)
    assert metrics_of(auto_res) == metrics_of(explicit_res)
    # The detecting line itself is already parsed by the framework parser.
    assert progresses(auto_res)[-2:] == progresses(explicit_res)[-2:]


def test_auto_uses_the_regex_defaults_until_it_knows() -> None:
    auto = make_parser("auto", {"acc": r"acc=([0-9.]+)"})
    before = auto.feed("step 3 loss=0.5 acc=0.9", True)
    assert [(m.name, m.value, m.step) for m in before.metrics] == [
        ("acc", 0.9, 3),
        ("loss", 0.5, 3),
    ]
    auto.feed("Ultralytics 8.4.190 🚀 Python-3.11.7 torch-2.13.0+cpu CPU", True)
    after = auto.feed("loss=0.4 acc=0.8", True)
    # Defaults stop once the framework is known; the user's own pattern stays.
    assert [(m.name, m.value) for m in after.metrics] == [("acc", 0.8)]


def test_framework_parser_with_user_patterns() -> None:
    parser = make_parser("lightning", {"lr": r"lr-AdamW=([0-9.e-]+)"})
    segs = segments("detr_pl_output_pipe_tqdm.raw")
    points = metrics_of(results(parser, segs))
    assert by_step(points, "train_loss")[8] == 6.53
    assert [p.value for p in points if p.name == "lr"] == []  # not printed that way in the bar
    extra = parser.feed("lr-AdamW=0.0001", True)
    assert [(m.name, m.value) for m in extra.metrics] == [("lr", 0.0001)]


def test_ultralytics_with_user_pattern_keeps_epochs() -> None:
    parser = make_parser("ultralytics", {"speed": r"([0-9.]+)ms inference"})
    points = metrics_of(results(parser, segments("yolo_cli_output_pipe.raw")))
    assert by_epoch(points, "train/box_loss") == {1: 1.731, 2: 4.99}
    assert [p.value for p in points if p.name == "speed"] == [7.2]
