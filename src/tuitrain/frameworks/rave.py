"""RAVE (``acids-rave``): ``rave train --config v2 [--config causal] ... --db_path DB``.

Flags as ``rave train --help`` lists them for acids-rave 2.3. The run writes to
``<run folder>/runs/<name>_<hash>/`` (TensorBoard event files and checkpoints); RAVE
prints no loss on stdout, and ``PL_TRAINER_LOG_EVERY_N_STEPS`` makes Lightning log
its scalars at every step so the event files follow the training closely.

RAVE's learning rates are fixed in its code (``configure_optimizers``), not gin
bindings, so there is no learning-rate parameter: an ``--override`` of one would stop
the run at start with "No configurable matching". Other gin bindings can be passed
as ``overrides``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any, ClassVar

from tuitrain.frameworks.params import ParamSpec, device_ids, device_param, format_value
from tuitrain.frameworks.recipe import BuildContext, Recipe

RAVE_OUT = "runs"
PIPELINE_SCRIPT = "rave_pipeline.py"
# `rave preprocess --output_path` needs a folder part: "db" alone fails.
PREPROCESSED_DB = "./db"
PREPROCESS_SIGNAL = 131072  # rave preprocess's default chunk, in samples
AUDIO_EXTENSIONS = (".aif", ".aiff", ".wav", ".opus", ".mp3", ".aac", ".flac", ".ogg")
# rave/configs/*.gin of acids-rave 2.3: one architecture, then any modifiers.
ARCHITECTURES = (
    "v1",
    "v2",
    "v2_small",
    "v2_nopqmf",
    "v3",
    "discrete",
    "onnx",
    "raspberry",
)
MODIFIERS = (
    "causal",
    "snake",
    "noise",
    "hybrid",
    "wasserstein",
    "spherical",
    "spectral_discriminator",
    "descript_discriminator",
    "adain",
)
_BINDING = re.compile(r"^[A-Za-z_][\w./]*\s*=\s*\S")


def split_overrides(text: str) -> list[str]:
    """``"A=1; B.c=[1, 2]"`` -> ``["A=1", "B.c=[1, 2]"]``."""
    return [part.strip() for part in text.split(";") if part.strip()]


def _check_overrides(value: Any) -> str | None:
    for binding in split_overrides(str(value)):
        if not _BINDING.match(binding):
            return f"overrides: {binding!r} is not a gin binding such as NAME=value"
    return None


def has_audio(folder: str) -> bool:
    """Whether ``folder`` holds audio files ``rave preprocess`` reads (at any depth)."""
    for _root, _dirs, files in os.walk(folder):
        if any(f.lower().endswith(AUDIO_EXTENSIONS) for f in files):
            return True
    return False


class RaveRecipe(Recipe):
    name = "rave"
    label = "RAVE (acids-rave)"
    parser = "rave"
    env: ClassVar[Mapping[str, str]] = {
        "PL_TRAINER_LOG_EVERY_N_STEPS": "1",
        "PYTHONUNBUFFERED": "1",
    }
    dataset_param = "db_path"
    dataset_hint = "a RAVE database (rave preprocess) or a folder of audio files"
    length_param = "max_steps"
    path_params = frozenset({"db_path"})
    params = (
        ParamSpec(
            "db_path",
            "Database",
            "str",
            required=True,
            group="dataset",
            help="a RAVE database, or a folder of audio files (preprocessed in the run)",
        ),
        ParamSpec(
            "config",
            "Configuration",
            "choice",
            "v2",
            choices=ARCHITECTURES,
            group="model",
            help="the architecture",
        ),
        ParamSpec(
            "modifiers",
            "Modifiers",
            "multi",
            (),
            choices=MODIFIERS,
            group="model",
            help="configurations added on top, such as causal or snake",
        ),
        ParamSpec("max_steps", "Max steps", "int", 6_000_000, minimum=0, exclusive=True),
        ParamSpec("batch", "Batch size", "int", 8, minimum=0, exclusive=True),
        ParamSpec(
            "channels",
            "Channels",
            "int",
            1,
            minimum=0,
            exclusive=True,
            help="audio channels of the database",
        ),
        ParamSpec(
            "n_signal",
            "Samples",
            "int",
            131072,
            minimum=0,
            exclusive=True,
            help="audio samples per training example",
        ),
        ParamSpec(
            "val_every",
            "Validate every",
            "int",
            10000,
            minimum=0,
            exclusive=True,
            help="steps between validations and checkpoints",
        ),
        device_param(),
        ParamSpec("workers", "Workers", "int", 8, minimum=0, help="data loader processes"),
        ParamSpec(
            "overrides",
            "Gin overrides",
            "str",
            "",
            optional=True,
            help="gin bindings separated by ; such as PHASE_1_DURATION=200000",
            check=_check_overrides,
        ),
    )

    def check_dataset(self, path: str) -> str | None:
        if not os.path.isdir(path):
            return f"database folder {path} does not exist"
        if not os.path.isfile(os.path.join(path, "data.mdb")) and not has_audio(path):
            return f"{path} is neither a RAVE database (no data.mdb) nor a folder of audio files"
        return None

    def argv(self, values: Mapping[str, Any], ctx: BuildContext) -> list[str]:
        db = values["db_path"]
        head: list[str] = []
        if not os.path.isfile(os.path.join(db, "data.mdb")) and has_audio(db):
            # A folder of audio: `rave preprocess` into the run folder first, same run.
            # (A folder of this machine: for an SSH host it is synced there first.)
            head = [ctx.python, ctx.runner(PIPELINE_SCRIPT), "--input_path", db]
            head += ["--output_path", PREPROCESSED_DB, "--channels", str(values["channels"])]
            head += ["--num_signal", str(max(PREPROCESS_SIGNAL, values["n_signal"])), "--"]
            db = PREPROCESSED_DB
        args = [*head, ctx.tool("rave"), "train", "--config", values["config"]]
        for modifier in values["modifiers"]:
            args += ["--config", modifier]
        args += ["--db_path", db, "--name", ctx.name, "--out_path", RAVE_OUT]
        for key in ("max_steps", "batch", "channels", "n_signal", "val_every", "workers"):
            args += [f"--{key}", format_value(values[key])]
        device = values["device"]
        if device == "cpu":
            args += ["--gpu", "-1"]
        for gpu in device_ids(device):
            args += ["--gpu", str(gpu)]
        for binding in split_overrides(values["overrides"] or ""):
            args += ["--override", binding]
        return args
