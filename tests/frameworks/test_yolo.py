"""The YOLO recipe: exact argv, environment, parser, every refusal."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

import tuitrain.runners
from tuitrain.frameworks import RECIPES, build_command, complete_config
from tuitrain.frameworks.yolo import YoloRecipe

RUNNER = str(Path(tuitrain.runners.__file__).resolve().parent / "yolo.py")


def config(data: Path | str, python: str, **params: Any) -> dict[str, Any]:
    return {
        "name": "ducks v1",
        "framework": "yolo",
        "python": python,
        "params": {"data": str(data), **params},
    }


def test_typical_command(data_yaml: Path, env_python: str) -> None:
    cfg = config(data_yaml, env_python, epochs=2, imgsz=64, batch=4, workers=0, device="cpu")
    cfg["params"].update(model="yolo11n.yaml", pretrained=False)
    assert build_command(cfg) == [
        env_python,
        RUNNER,
        "model=yolo11n.yaml",
        f"data={data_yaml}",
        "epochs=2",
        "imgsz=64",
        "batch=4",
        "lr0=0.01",
        "optimizer=auto",
        "patience=100",
        "workers=0",
        "pretrained=False",
        "device=cpu",
        "project=yolo",
        "name=ducks-v1",
        "exist_ok=True",
    ]


def test_defaults_are_written_out_and_auto_device_is_left_out(
    data_yaml: Path, env_python: str
) -> None:
    argv = build_command(config(data_yaml, env_python))
    assert argv[2:] == [
        "model=yolo11n.pt",
        f"data={data_yaml}",
        "epochs=100",
        "imgsz=640",
        "batch=16",
        "lr0=0.01",
        "optimizer=auto",
        "patience=100",
        "workers=8",
        "pretrained=True",
        "project=yolo",
        "name=ducks-v1",
        "exist_ok=True",
    ]


def test_text_values_as_typed_and_gpu_ids(data_yaml: Path, env_python: str) -> None:
    cfg = config(data_yaml, env_python, epochs="3", lr0="1e-3", optimizer="adamw", device="0, 1")
    argv = build_command(cfg)
    assert {"epochs=3", "lr0=0.001", "optimizer=AdamW", "device=0,1"} <= set(argv)


def test_yolo_beside_the_interpreter_is_preferred(data_yaml: Path, tmp_path: Path) -> None:
    bindir = tmp_path / "venv" / "bin"
    bindir.mkdir(parents=True)
    yolo = bindir / "yolo"
    yolo.write_text("#!/bin/sh\n")
    yolo.chmod(0o755)
    argv = YoloRecipe(runner=False).command(config(data_yaml, str(bindir / "python")))
    assert argv[:3] == [str(yolo), "detect", "train"]


def test_the_runner_only_changes_the_head(data_yaml: Path, env_python: str) -> None:
    cfg = config(data_yaml, env_python)
    runner = build_command(cfg)
    cli = YoloRecipe(runner=False).command(cfg)
    assert cli[:3] == ["yolo", "detect", "train"]
    assert runner[:2] == [env_python, RUNNER]
    assert runner[2:] == cli[3:]


def test_the_runners_folder_of_a_host_can_be_set(data_yaml: Path, env_python: str) -> None:
    cfg = {**config(data_yaml, env_python), "runners_dir": "/srv/tuitrain/runners"}
    assert build_command(cfg)[:2] == [env_python, "/srv/tuitrain/runners/yolo.py"]


def test_relative_paths_are_made_absolute(data_yaml: Path, env_python: str, tmp_path: Path) -> None:
    weights = tmp_path / "ds" / "best.pt"
    weights.write_bytes(b"")
    cfg = config("data.yaml", env_python, model="best.pt")
    cfg["cwd"] = str(data_yaml.parent)
    argv = build_command(cfg)
    assert f"data={data_yaml}" in argv
    assert f"model={weights}" in argv
    cfg["params"]["model"] = "./best.pt"
    assert f"model={weights}" in build_command(cfg)


def test_a_bare_model_name_is_left_to_ultralytics(data_yaml: Path, env_python: str) -> None:
    argv = build_command(config(data_yaml, env_python, model="yolo11s.pt"))
    assert "model=yolo11s.pt" in argv


def test_complete_config_adds_env_parser_and_full_params(data_yaml: Path, env_python: str) -> None:
    cfg = config(data_yaml, env_python, epochs=5)
    cfg["env"] = {"CUDA_VISIBLE_DEVICES": "1", "YOLO_OFFLINE": "0"}
    out = complete_config(cfg)
    assert out["env"] == {"YOLO_OFFLINE": "0", "PYTHONUNBUFFERED": "1", "CUDA_VISIBLE_DEVICES": "1"}
    assert out["parser"] == "ultralytics"
    assert out["command"] == build_command(cfg)
    assert out["params"]["epochs"] == 5 and out["params"]["imgsz"] == 640
    assert set(out["params"]) == {s.name for s in RECIPES["yolo"].params}


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"epochs": -1}, "epochs must be a positive integer"),
        ({"epochs": "abc"}, "epochs must be a positive integer"),
        ({"imgsz": 0}, "imgsz must be a positive integer"),
        ({"imgsz": 100}, "imgsz must be a multiple of 32 (such as 640)"),
        ({"batch": 0}, "batch must be a positive integer (or -1 for AutoBatch)"),
        ({"batch": -2}, "batch must be a positive integer (or -1 for AutoBatch)"),
        ({"batch": "x"}, "batch must be a positive integer (or -1 for AutoBatch)"),
        ({"lr0": "x"}, "lr0 must be a positive number"),
        ({"lr0": 0}, "lr0 must be a positive number"),
        ({"lr0": -1}, "lr0 must be a positive number"),
        (
            {"optimizer": "Lion"},
            "optimizer must be one of auto, SGD, Adam, AdamW, NAdam, RAdam, RMSProp",
        ),
        ({"patience": -1}, "patience must be 0 or a positive integer"),
        ({"workers": -1}, "workers must be 0 or a positive integer"),
        ({"device": "gpu0"}, "device must be auto, cpu or GPU ids such as 0 or 0,1"),
        ({"pretrained": "perhaps"}, "pretrained must be true or false"),
        (
            {"model": "yolo11n"},
            "model must be a .pt file (fine-tune) or a .yaml file (from scratch)",
        ),
        ({"model": "/nowhere/best.pt"}, "model file /nowhere/best.pt does not exist"),
        ({"data": "ds/images"}, "data must be a data.yaml file"),
        ({"data": ""}, "data is required: a data.yaml"),
        ({"imgsize": 64}, "unknown parameter 'imgsize' for yolo (known: batch, data, device, "),
    ],
)
def test_every_refusal(
    params: dict[str, Any], reason: str, data_yaml: Path, env_python: str
) -> None:
    cfg = config(data_yaml, env_python)
    cfg["params"].update(params)
    with pytest.raises(ValueError) as err:
        build_command(cfg)
    assert str(err.value).startswith(reason)
    assert "\n" not in str(err.value)


def test_missing_data_file_is_refused_on_a_local_host_only(env_python: str, tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "data.yaml"
    with pytest.raises(ValueError, match=f"^data file {missing} does not exist$"):
        build_command(config(missing, env_python))
    remote = {**config(missing, env_python), "host": "gpu1"}
    assert f"data={missing}" in build_command(remote)


def test_no_data_at_all(env_python: str) -> None:
    cfg = {"name": "x", "framework": "yolo", "python": env_python}
    with pytest.raises(ValueError, match=r"^data is required: a data.yaml$"):
        build_command(cfg)


def test_every_error_at_once_for_the_wizard(data_yaml: Path) -> None:
    values, errors = RECIPES["yolo"].check({"data": str(data_yaml), "epochs": 0, "lr0": "x"})
    assert errors == {
        "epochs": "epochs must be a positive integer",
        "lr0": "lr0 must be a positive number",
    }
    assert values["data"] == str(data_yaml) and "epochs" not in values
    assert os.path.isabs(values["data"])
