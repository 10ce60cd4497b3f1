"""ParamSpec: every kind parsed from typed text and from JSON values, every reason."""

from __future__ import annotations

from typing import Any

import pytest

from tuitrain.frameworks.params import ParamError, ParamSpec, check_device, device_param

EPOCHS = ParamSpec("epochs", "Epochs", "int", 10, minimum=0, exclusive=True)
WORKERS = ParamSpec("workers", "Workers", "int", 8, minimum=0)
LR = ParamSpec("lr", "Learning rate", "float", 0.01, minimum=0, exclusive=True)
DECAY = ParamSpec("weight_decay", "Weight decay", "float", 0.0, minimum=0)
FLAG = ParamSpec("pretrained", "Pretrained", "bool", True)
OPT = ParamSpec("optimizer", "Optimizer", "choice", "auto", choices=("auto", "SGD", "AdamW"))
MODS = ParamSpec("modifiers", "Modifiers", "multi", (), choices=("causal", "snake"))
DATA = ParamSpec("data", "Dataset", "str", required=True, help="a data.yaml")
NOTE = ParamSpec("note", "Note", "str", "", optional=True)


@pytest.mark.parametrize(
    ("spec", "raw", "value"),
    [
        (EPOCHS, "12", 12),
        (EPOCHS, " 7 ", 7),
        (EPOCHS, 3, 3),
        (WORKERS, "0", 0),
        (LR, "0.001", 0.001),
        (LR, "1e-4", 1e-4),
        (LR, 2, 2.0),
        (DECAY, "0", 0.0),
        (FLAG, "no", False),
        (FLAG, "TRUE", True),
        (FLAG, False, False),
        (OPT, "adamw", "AdamW"),
        (MODS, "snake, causal,snake", ["snake", "causal"]),
        (MODS, ["causal"], ["causal"]),
        (MODS, "", []),
        (DATA, " /d/data.yaml ", "/d/data.yaml"),
        (NOTE, "", None),
    ],
)
def test_good_values_parse(spec: ParamSpec, raw: object, value: Any) -> None:
    assert spec.parse(raw) == value
    assert spec.validate(raw) == (value, None)


@pytest.mark.parametrize(
    ("spec", "raw", "reason"),
    [
        (EPOCHS, "0", "epochs must be a positive integer"),
        (EPOCHS, "-1", "epochs must be a positive integer"),
        (EPOCHS, "abc", "epochs must be a positive integer"),
        (EPOCHS, "2.5", "epochs must be a positive integer"),
        (EPOCHS, 2.0, "epochs must be a positive integer"),
        (EPOCHS, True, "epochs must be a positive integer"),
        (EPOCHS, "", "epochs must be a positive integer"),
        (WORKERS, "-1", "workers must be 0 or a positive integer"),
        (LR, "x", "lr must be a positive number"),
        (LR, "0", "lr must be a positive number"),
        (LR, "-1", "lr must be a positive number"),
        (LR, "nan", "lr must be a positive number"),
        (LR, "inf", "lr must be a positive number"),
        (DECAY, "-0.1", "weight_decay must be 0 or a positive number"),
        (FLAG, "maybe", "pretrained must be true or false"),
        (OPT, "adam", "optimizer must be one of auto, SGD, AdamW"),
        (MODS, "causal,fast", "modifiers: unknown 'fast' (choose from causal, snake)"),
        (DATA, "", "data is required: a data.yaml"),
        (DATA, None, "data is required: a data.yaml"),
        (DATA, "a\nb", "data must be a single line"),
        (DATA, ["x"], "data must be a text"),
    ],
)
def test_bad_values_give_the_reason(spec: ParamSpec, raw: object, reason: str) -> None:
    assert spec.validate(raw) == (None, reason)
    with pytest.raises(ParamError, match=r"^" + reason.replace("(", r"\(").replace(")", r"\)")):
        spec.parse(raw)


@pytest.mark.parametrize(
    ("raw", "value"), [("auto", "auto"), ("CPU", "cpu"), (0, "0"), ("0, 1", "0,1")]
)
def test_device_values(raw: object, value: str) -> None:
    assert device_param().parse(raw) == value


@pytest.mark.parametrize("raw", ["gpu", "0,0", "0,00", "1,x", "-1", "cuda:0", "", ","])
def test_bad_devices(raw: str) -> None:
    assert device_param().validate(raw)[1] == "device must be auto, cpu or GPU ids such as 0 or 0,1"
    assert check_device(raw) is not None


def test_display_round_trips() -> None:
    assert LR.display(1e-05) == "1e-05"
    assert FLAG.display(True) == "True"
    assert MODS.display(["causal", "snake"]) == "causal,snake"
    assert NOTE.display(None) == ""
    for spec, value in ((LR, 1e-05), (EPOCHS, 12), (MODS, ["causal", "snake"]), (FLAG, False)):
        assert spec.parse(spec.display(value)) == value
