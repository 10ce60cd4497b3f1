"""YOLO with Ultralytics, through our runner (``runners/yolo.py``, which calls
``YOLO(model).train(**kwargs)`` with callbacks writing ``metrics.jsonl``)::

    ENV_PYTHON /path/to/tuitrain/runners/yolo.py model=yolo11n.pt data=... epochs=100 ...

Results land in ``<run folder>/yolo/<run name>/`` (``results.csv``, ``weights/best.pt``
and ``last.pt``): the run starts in its run folder and the runner makes ``project=``
absolute against it (through the API, Ultralytics would nest a relative project under
its own ``runs/detect/``).

The arguments are Ultralytics' own ``key=value`` pairs, so ``YoloRecipe(runner=False)``
gives the same training as the plain CLI (``yolo detect train key=value ...``), with
metrics from ``results.csv`` and the console only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, ClassVar

from tuitrain.frameworks.params import ParamSpec, device_param, format_value
from tuitrain.frameworks.recipe import BuildContext, Recipe

YOLO_PROJECT = "yolo"
RUNNER_SCRIPT = "yolo.py"
OPTIMIZERS = ("auto", "SGD", "Adam", "AdamW", "NAdam", "RAdam", "RMSProp")
MODELS = (
    "yolo11n.pt",
    "yolo11s.pt",
    "yolo11m.pt",
    "yolo11l.pt",
    "yolo11x.pt",
    "yolo11n.yaml",
    "yolo11s.yaml",
    "yolov8n.pt",
    "yolov8n.yaml",
)


def _check_model(value: Any) -> str | None:
    if str(value).lower().endswith((".pt", ".yaml", ".yml")):
        return None
    return "model must be a .pt file (fine-tune) or a .yaml file (from scratch)"


def _check_data(value: Any) -> str | None:
    if str(value).lower().endswith((".yaml", ".yml")):
        return None
    return "data must be a data.yaml file"


def _check_imgsz(value: Any) -> str | None:
    return None if value % 32 == 0 else "imgsz must be a multiple of 32 (such as 640)"


def _check_batch(value: Any) -> str | None:
    return None if value == -1 or value >= 1 else _BATCH_EXPECT


_BATCH_EXPECT = "batch must be a positive integer (or -1 for AutoBatch)"


class YoloRecipe(Recipe):
    name = "yolo"
    label = "YOLO (Ultralytics)"
    parser = "ultralytics"
    env: ClassVar[Mapping[str, str]] = {"YOLO_OFFLINE": "1", "PYTHONUNBUFFERED": "1"}
    dataset_param = "data"
    dataset_hint = "a data.yaml"
    length_param = "epochs"
    path_params = frozenset({"data", "model"})
    params = (
        ParamSpec(
            "data",
            "Dataset",
            "str",
            required=True,
            group="dataset",
            help="a data.yaml",
            check=_check_data,
        ),
        ParamSpec(
            "model",
            "Model",
            "str",
            "yolo11n.pt",
            choices=MODELS,
            group="model",
            help="yolo11n.pt fine-tunes pretrained weights; yolo11n.yaml trains from scratch",
            check=_check_model,
        ),
        ParamSpec(
            "pretrained",
            "Pretrained",
            "bool",
            True,
            group="model",
            help="start from pretrained weights where the model has them",
        ),
        ParamSpec("epochs", "Epochs", "int", 100, minimum=0, exclusive=True),
        ParamSpec(
            "imgsz",
            "Image size",
            "int",
            640,
            minimum=0,
            exclusive=True,
            help="pixels, a multiple of 32",
            check=_check_imgsz,
        ),
        ParamSpec(
            "batch",
            "Batch size",
            "int",
            16,
            help="-1 picks the largest that fits (AutoBatch)",
            check=_check_batch,
            expect="a positive integer (or -1 for AutoBatch)",
        ),
        ParamSpec("lr0", "Learning rate", "float", 0.01, minimum=0, exclusive=True),
        ParamSpec("optimizer", "Optimizer", "choice", "auto", choices=OPTIMIZERS),
        ParamSpec(
            "patience",
            "Patience",
            "int",
            100,
            minimum=0,
            help="epochs without improvement before stopping (0: never)",
        ),
        device_param(),
        ParamSpec("workers", "Workers", "int", 8, minimum=0, help="data loader processes"),
    )

    def __init__(self, runner: bool = True) -> None:
        self.runner = runner

    def resolve_path(self, name: str, value: str, ctx: BuildContext) -> str:
        # A bare model name (yolo11n.pt) is Ultralytics' to find, unless it is a file
        # here (the run starts in its own folder, so the path must be absolute).
        bare = os.sep not in value and not value.startswith(("~", "."))
        if name == "model" and bare and not os.path.isfile(ctx.absolute(value)):
            return value
        return ctx.absolute(value)

    def check_on_disk(self, name: str, path: str) -> str | None:
        if name == "model":
            if not os.path.isabs(path) or os.path.isfile(path):
                return None  # a bare name is for Ultralytics to find
            return f"model file {path} does not exist"
        return super().check_on_disk(name, path)

    def check_dataset(self, path: str) -> str | None:
        return None if os.path.isfile(path) else f"data file {path} does not exist"

    def argv(self, values: Mapping[str, Any], ctx: BuildContext) -> list[str]:
        if self.runner:
            head = [ctx.python, ctx.runner(RUNNER_SCRIPT)]
        else:
            head = [ctx.tool("yolo"), "detect", "train"]
        keys = ("model", "data", "epochs", "imgsz", "batch", "lr0", "optimizer", "patience")
        args = [f"{k}={format_value(values[k])}" for k in keys]
        args.append(f"workers={values['workers']}")
        args.append(f"pretrained={format_value(values['pretrained'])}")
        if values["device"] != "auto":
            args.append(f"device={values['device']}")
        args += [f"project={YOLO_PROJECT}", f"name={ctx.name}", "exist_ok=True"]
        return head + args
