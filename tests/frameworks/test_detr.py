"""The DETR recipe: the runner's command line, never an API key."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import tuitrain.runners
from tuitrain.frameworks import build_command, complete_config

RUNNER = str(Path(tuitrain.runners.__file__).resolve().parent / "detr.py")


def config(data: Path | str, python: str, **params: Any) -> dict[str, Any]:
    return {
        "name": "detr",
        "framework": "DETR",
        "python": python,
        "params": {"data": str(data), **params},
    }


def test_typical_command(coco_dir: Path, env_python: str) -> None:
    cfg = config(coco_dir, env_python, epochs=2, batch_size=2, lr="1e-4", freeze_backbone=True)
    cfg["params"].update(device="cpu", checkpoint="", image_size=64, workers=0)
    assert build_command(cfg) == [
        env_python,
        RUNNER,
        "--data",
        str(coco_dir),
        "--epochs",
        "2",
        "--batch-size",
        "2",
        "--lr",
        "0.0001",
        "--lr-backbone",
        "1e-05",
        "--weight-decay",
        "0.0001",
        "--freeze-backbone",
        "--checkpoint",
        "",
        "--image-size",
        "64",
        "--workers",
        "0",
        "--device",
        "cpu",
    ]


def test_defaults(coco_dir: Path, env_python: str) -> None:
    argv = build_command(config(coco_dir, env_python))
    assert argv[4:] == [
        "--epochs", "50", "--batch-size", "4", "--lr", "0.0001", "--lr-backbone", "1e-05",
        "--weight-decay", "0.0001", "--no-freeze-backbone",
        "--checkpoint", "facebook/detr-resnet-50", "--image-size", "800", "--workers", "2",
        "--device", "auto",
    ]  # fmt: skip


def test_a_data_yaml_is_accepted_too(data_yaml: Path, env_python: str) -> None:
    assert str(data_yaml) in build_command(config(data_yaml, env_python))


def test_a_coco_export_folder_is_accepted(tmp_path: Path, env_python: str) -> None:
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "annotations.json").write_text("{}")
    assert str(folder) in build_command(config(folder, env_python))


def test_env_and_parser(coco_dir: Path, env_python: str) -> None:
    out = complete_config(config(coco_dir, env_python))
    assert out["framework"] == "detr"
    assert out["parser"] == "lightning"
    assert out["env"] == {"PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1"}


def test_no_api_key_can_reach_the_command(coco_dir: Path, env_python: str) -> None:
    with pytest.raises(ValueError, match="unknown parameter 'api_key' for detr"):
        build_command(config(coco_dir, env_python, api_key="secret"))


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"epochs": "-1"}, "epochs must be a positive integer"),
        ({"epochs": "abc"}, "epochs must be a positive integer"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"lr": "x"}, "lr must be a positive number"),
        ({"lr": 0}, "lr must be a positive number"),
        ({"lr": -1}, "lr must be a positive number"),
        ({"lr_backbone": -1e-5}, "lr_backbone must be 0 or a positive number"),
        ({"weight_decay": "x"}, "weight_decay must be 0 or a positive number"),
        ({"freeze_backbone": "2"}, "freeze_backbone must be true or false"),
        ({"device": "tpu"}, "device must be auto, cpu or GPU ids such as 0 or 0,1"),
        ({"image_size": 0}, "image_size must be a positive integer"),
        ({"workers": -1}, "workers must be 0 or a positive integer"),
    ],
)
def test_every_refusal(
    params: dict[str, Any], reason: str, coco_dir: Path, env_python: str
) -> None:
    with pytest.raises(ValueError, match=f"^{reason}$"):
        build_command(config(coco_dir, env_python, **params))


def test_dataset_refusals(tmp_path: Path, env_python: str) -> None:
    with pytest.raises(ValueError, match=r"^dataset folder .*/nope does not exist$"):
        build_command(config(tmp_path / "nope", env_python))
    (tmp_path / "plain").mkdir()
    with pytest.raises(ValueError, match=r"is not a COCO folder \(no train/_annotations"):
        build_command(config(tmp_path / "plain", env_python))
    with pytest.raises(ValueError, match=r"^data file .*/x.yaml does not exist$"):
        build_command(config(tmp_path / "x.yaml", env_python))
