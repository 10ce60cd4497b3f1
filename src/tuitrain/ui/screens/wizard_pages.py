"""The four pages of the new-training wizard. Each scrolls inside itself, so the whole
wizard fits 80x24; :mod:`tuitrain.ui.screens.wizard` moves between them and checks."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import PurePath
from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Label, Select, Static

from tuitrain.frameworks import RECIPES, display_command
from tuitrain.frameworks.params import GPUS_PARAM
from tuitrain.gpus.request import ANY_HOST
from tuitrain.ui.screens.wizard_datasets import DatasetChoice
from tuitrain.ui.screens.wizard_gpus import queue_line
from tuitrain.ui.widgets.param_field import ParamField

MODEL_NOTES = {
    "detr": "DETR ResNet-50 (facebook/detr-resnet-50), from the local cache when it is "
    "there, else from scratch.",
}
PARAM_NOTES = {
    "rave": "RAVE's learning rates are fixed in its code (no gin binding): there is none "
    "to set here. Other gin bindings go in Gin overrides.",
}


def field_id(framework: str, param: str) -> str:
    return f"p-{framework}-{param}"


class WizardPage(VerticalScroll):
    DEFAULT_CSS = """
    WizardPage { height: 1fr; padding: 0 1; }
    WizardPage .page-intro { margin-bottom: 1; color: $text-muted; }
    WizardPage .row { height: auto; margin-bottom: 1; }
    WizardPage .row > Label { width: 16; padding-right: 1; }
    WizardPage .row > Select, WizardPage .row > Input { width: 26; }
    WizardPage .note { width: 1fr; padding-left: 1; color: $text-muted; }
    WizardPage .note.-invalid { color: $text-error; text-style: bold; }
    """


class ConfigPage(WizardPage):
    """2. Framework, and its model or RAVE configuration."""

    def compose(self) -> ComposeResult:
        yield Static("Which framework and model.", classes="page-intro")
        with Horizontal(classes="row"):
            yield Label("Framework")
            options = [(recipe.label, name) for name, recipe in RECIPES.items()]
            yield Select(options, value="yolo", allow_blank=False, id="framework", compact=True)
            yield Static("", id="framework-note", classes="note", markup=False)
        for name, recipe in RECIPES.items():
            with Vertical(id=f"model-{name}", classes="framework-group"):
                if name in MODEL_NOTES:
                    yield Static(MODEL_NOTES[name], classes="page-intro", markup=False)
                for spec in recipe.specs("model"):
                    yield ParamField(spec, id=field_id(name, spec.name))


class ParamsPage(WizardPage):
    """3. Training parameters of the chosen framework, device, host and GPUs."""

    def __init__(self, hosts: list[str], id: str | None = None) -> None:
        super().__init__(id=id)
        self.hosts = hosts

    def compose(self) -> ComposeResult:
        yield Static("How to train.", classes="page-intro")
        for name, recipe in RECIPES.items():
            with Vertical(id=f"train-{name}", classes="framework-group"):
                for spec in recipe.specs("training"):
                    yield ParamField(spec, id=field_id(name, spec.name))
                if name in PARAM_NOTES:
                    yield Static(PARAM_NOTES[name], classes="page-intro", markup=False)
        with Horizontal(classes="row"):
            yield Label("Host")
            options = [(h, h) for h in self.hosts]
            if len(self.hosts) > 1:
                options.append(("any host with free GPUs", ANY_HOST))
            yield Select(options, value=self.hosts[0], allow_blank=False, id="host", compact=True)
            yield Static(HOST_NOTE, id="host-note", classes="note", markup=False)
        yield ParamField(GPUS_PARAM, id="gpus")


class ConfirmPage(WizardPage):
    """4. Name, summary and the exact command; nothing runs before Start."""

    DEFAULT_CSS = """
    ConfirmPage #summary { height: auto; margin-bottom: 1; }
    ConfirmPage #command { height: auto; margin-bottom: 1; background: $boost; padding: 0 1; }
    ConfirmPage #start { margin-bottom: 1; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal(classes="row"):
            yield Label("Run name")
            yield Input(id="run-name", compact=True)
            yield Static("", id="name-note", classes="note", markup=False)
        yield Static("", id="summary", markup=False)
        yield Label("Command")
        yield Static("", id="command", markup=False)
        yield Button("Start training (ctrl+s)", id="start", variant="success", compact=True)
        yield Static("Nothing has started yet. Escape cancels.", classes="page-intro", markup=False)

    def show_config(self, config: Mapping[str, Any], dataset: DatasetChoice) -> None:
        """The summary and the exact command of a config ready to start."""
        self._note("editable", error=False)
        self.query_one("#summary", Static).update(summary(config, dataset))
        self.query_one("#command", Static).update(display_command(config["command"]))

    def show_problem(self, reason: str) -> None:
        self._note(reason, error=True)
        self.query_one("#command", Static).update("")

    def _note(self, text: str, error: bool) -> None:
        note = self.query_one("#name-note", Static)
        note.update(text)
        note.set_class(error, "-invalid")


def summary(config: Mapping[str, Any], dataset: DatasetChoice) -> str:
    recipe = RECIPES[config["framework"]]
    params = config["params"]
    lines = [
        f"Dataset    {dataset.name}  {dataset.detail}".rstrip(),
        f"           {params[recipe.dataset_param]}",
        f"Framework  {recipe.label}   host {config['host']}   parser {config['parser']}",
    ]
    shown = [
        f"{spec.label}: {spec.display(params[spec.name]) or '-'}"
        for spec in recipe.params
        if spec.name != recipe.dataset_param
    ]
    lines += ["           " + "   ".join(shown[i : i + 3]) for i in range(0, len(shown), 3)]
    lines[3] = "Parameters" + lines[3][10:]
    lines.append(f"GPUs       {queue_line(config)}")
    env = " ".join(f"{k}={v}" for k, v in config["env"].items())
    lines.append(f"Env        {env}")
    return "\n".join(lines)


HOST_NOTE = "where the training runs"
ANY_HOST_NEEDS_GPUS = "any host: ask for 1 GPU or more (it picks a host with them free)"


def host_problem(host: str, gpus: int) -> str | None:
    """Why the host choice cannot be used with ``gpus`` GPUs, or None."""
    return ANY_HOST_NEEDS_GPUS if host == ANY_HOST and gpus <= 0 else None


SPLIT_FOLDERS = ("train", "valid", "val", "test")


def dataset_label(dataset: DatasetChoice) -> str:
    """The dataset's name in a run name: a typed path is named after its dataset
    folder (``shapes`` for ``/x/shapes/data.yaml`` or ``/x/shapes/``), not a file."""
    if dataset.id is not None:
        return dataset.name
    path = PurePath(dataset.root)
    if os.path.isfile(dataset.root) or (path.suffix and not os.path.isdir(dataset.root)):
        path = path.parent  # data.yaml, a COCO JSON: the folder holding it
        if path.name in SPLIT_FOLDERS:  # train/_annotations.coco.json
            path = path.parent
    return path.name or dataset.name


def default_run_name(framework: str, raw: Mapping[str, object], dataset: DatasetChoice) -> str:
    """``yolo11n-ducks``, ``detr-ducks``, ``rave-v2-drums``."""
    name = dataset_label(dataset)
    if framework == "yolo":
        model = str(raw.get("model") or "yolo").rsplit("/", 1)[-1].split(".")[0]
        return f"{model or 'yolo'}-{name}"
    if framework == "rave":
        return f"rave-{raw.get('config')}-{name}"
    return f"{framework}-{name}"
