"""DETR with transformers and PyTorch Lightning, the seed's flow, through our runner
(``runners/detr.py``, run by the training environment's interpreter)::

    ENV_PYTHON /path/to/tuitrain/runners/detr.py --data DATASET --epochs 50 ...

The parameters are the seed's TrainingConfig without its Roboflow part: the download is
the datasets' business, so the runner gets a local dataset and no API key ever appears
on a command line (where ``ps`` and the run's saved config would show it). The runner
writes ``final_model.pt`` and ``loss_plot.png`` in the run folder, Lightning's
``metrics.csv`` under ``lightning_logs/`` and checkpoints under ``checkpoints/``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

from tuitrain.frameworks.params import ParamSpec, device_param, format_value
from tuitrain.frameworks.recipe import BuildContext, Recipe

RUNNER_SCRIPT = "detr.py"
PRETRAINED = "facebook/detr-resnet-50"
COCO_FILES = ("train/_annotations.coco.json", "annotations.json")


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


class DetrRecipe(Recipe):
    name = "detr"
    label = "DETR (transformers + Lightning)"
    parser = "lightning"
    # Offline hub: cached pretrained weights are used, a missing one fails at once
    # instead of hanging on a download.
    env: ClassVar[Mapping[str, str]] = {"PYTHONUNBUFFERED": "1", "HF_HUB_OFFLINE": "1"}
    dataset_param = "data"
    dataset_hint = "a COCO folder (train/_annotations.coco.json) or a data.yaml"
    length_param = "epochs"
    path_params = frozenset({"data"})
    params = (
        ParamSpec(
            "data",
            "Dataset",
            "str",
            required=True,
            group="dataset",
            help="a COCO folder (train/_annotations.coco.json) or a data.yaml",
        ),
        ParamSpec("epochs", "Epochs", "int", 50, minimum=0, exclusive=True),
        ParamSpec("batch_size", "Batch size", "int", 4, minimum=0, exclusive=True),
        ParamSpec("lr", "Learning rate", "float", 1e-4, minimum=0, exclusive=True),
        ParamSpec(
            "lr_backbone",
            "Backbone LR",
            "float",
            1e-5,
            minimum=0,
            help="learning rate of the ResNet backbone",
        ),
        ParamSpec("weight_decay", "Weight decay", "float", 1e-4, minimum=0),
        ParamSpec(
            "freeze_backbone",
            "Freeze backbone",
            "bool",
            False,
            help="train only the transformer and heads",
        ),
        ParamSpec(
            "checkpoint",
            "Pretrained model",
            "str",
            PRETRAINED,
            choices=(PRETRAINED,),
            optional=True,
            group="model",
            help="used when in the local Hugging Face cache; empty or missing: a tiny DETR "
            "from scratch",
        ),
        ParamSpec(
            "image_size",
            "Image size",
            "int",
            800,
            minimum=0,
            exclusive=True,
            help="shortest image side after resizing, in pixels",
        ),
        ParamSpec("workers", "Workers", "int", 2, minimum=0, help="data loader processes"),
        device_param(),
    )

    def check_dataset(self, path: str) -> str | None:
        if path.lower().endswith((".yaml", ".yml")):
            return None if os.path.isfile(path) else f"data file {path} does not exist"
        if not os.path.isdir(path):
            return f"dataset folder {path} does not exist"
        if any(os.path.isfile(os.path.join(path, f)) for f in COCO_FILES):
            return None
        return f"{path} is not a COCO folder (no train/_annotations.coco.json or annotations.json)"

    def argv(self, values: Mapping[str, Any], ctx: BuildContext) -> list[str]:
        args = [ctx.python, ctx.runner(RUNNER_SCRIPT), "--data", values["data"]]
        for key in ("epochs", "batch_size", "lr", "lr_backbone", "weight_decay"):
            args += [_flag(key), format_value(values[key])]
        args.append("--freeze-backbone" if values["freeze_backbone"] else "--no-freeze-backbone")
        args += ["--checkpoint", values["checkpoint"] or ""]
        for key in ("image_size", "workers"):
            args += [_flag(key), format_value(values[key])]
        args += ["--device", values["device"]]
        return args
