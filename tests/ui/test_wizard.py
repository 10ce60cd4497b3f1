"""The new-training wizard with Pilot: keyboard only, values kept across pages, the
final config; RAVE's configuration; cancel."""

from __future__ import annotations

import subprocess
import sys

from textual.widgets import Input, Select, SelectionList, Static

from tests.ui.wizard_app import (
    ENV_PYTHON,
    catalog,
    drain,
    field,
    host,
    to_page,
    type_into,
    wizard,
)
from tuitrain.frameworks import build_command
from tuitrain.ui.screens.wizard import NewTrainingScreen


async def test_back_and_forth_keeps_every_value_and_builds_the_config() -> None:
    app = host(catalog())
    async with app.run_test(size=(80, 24)) as pilot:
        await drain(pilot)
        await to_page(pilot, 1)
        await type_into(pilot, field(app, "yolo", "model"), "yolo11n.yaml")
        await pilot.press("tab", "tab", "space")  # the Pretrained checkbox: off
        await drain(pilot)
        assert field(app, "yolo", "pretrained").raw is False
        await to_page(pilot, 2)
        # Keyboard only: the first field (epochs) has the focus, its text selected.
        assert field(app, "yolo", "epochs").editor.has_focus
        await pilot.press("2", "tab", "6", "4", "tab", "4", "tab")
        await pilot.press("ctrl+a", "ctrl+k", *"0.005")
        await drain(pilot)
        await type_into(pilot, field(app, "yolo", "device"), "cpu")
        await type_into(pilot, field(app, "yolo", "workers"), "0")
        await pilot.press("pageup", "pageup")
        await drain(pilot)
        assert wizard(app).page == 0
        await to_page(pilot, 3)
        raws = {p: field(app, "yolo", p).raw for p in ("epochs", "imgsz", "batch", "lr0")}
        assert raws == {"epochs": "2", "imgsz": "64", "batch": "4", "lr0": "0.005"}
        name = wizard(app).query_one("#run-name", Input)
        assert name.value == "yolo11n-ducks" and name.has_focus
        config = wizard(app).get_config()
        data = "/tmp/tuitrain-wizard-snapshots/ducks/data.yaml"
        assert config == {
            "python": ENV_PYTHON,
            "runners_dir": "/opt/tuitrain/runners",
            "name": "yolo11n-ducks",
            "framework": "yolo",
            "host": "local",
            "dataset_id": 1,
            "params": {
                "data": data,
                "model": "yolo11n.yaml",
                "pretrained": False,
                "epochs": 2,
                "imgsz": 64,
                "batch": 4,
                "lr0": 0.005,
                "optimizer": "auto",
                "patience": 100,
                "device": "cpu",
                "workers": 0,
            },
            "command": [
                ENV_PYTHON,
                "/opt/tuitrain/runners/yolo.py",
                "model=yolo11n.yaml",
                f"data={data}",
                "epochs=2",
                "imgsz=64",
                "batch=4",
                "lr0=0.005",
                "optimizer=auto",
                "patience=100",
                "workers=0",
                "pretrained=False",
                "device=cpu",
                "project=yolo",
                "name=yolo11n-ducks",
                "exist_ok=True",
            ],
            "env": {"YOLO_OFFLINE": "1", "PYTHONUNBUFFERED": "1"},
            "parser": "ultralytics",
            "gpus": 0,  # none asked for: it starts at once
            "command_host": "local",  # the host whose environment wrote the command
        }
        assert build_command(config) == config["command"]
        shown = str(wizard(app).query_one("#command", Static).render())
        assert shown.replace("\n", " ").startswith(
            f"{ENV_PYTHON} /opt/tuitrain/runners/yolo.py model=yolo11n.yaml"
        )
        # The name is editable; the command follows it.
        await pilot.press("ctrl+a", "ctrl+k", *"ducks first try")
        await drain(pilot)
        assert "name=ducks-first-try" in wizard(app).get_config()["command"]
        await pilot.press("enter")
        await drain(pilot)
    assert app.results[-1] is not None
    assert app.results[-1]["name"] == "ducks first try"


async def test_rave_config_and_modifiers() -> None:
    app = host(catalog())
    async with app.run_test(size=(80, 24)) as pilot:
        await drain(pilot)
        await pilot.press("down")
        await drain(pilot)
        await to_page(pilot, 1)
        screen = wizard(app)
        screen.query_one("#p-rave-config Select", Select).value = "v2_small"
        modifiers = screen.query_one("#p-rave-modifiers SelectionList", SelectionList)
        modifiers.select("causal")
        modifiers.select("snake")
        await drain(pilot)
        await to_page(pilot, 2)
        await type_into(pilot, field(app, "rave", "max_steps"), "20")
        await type_into(pilot, field(app, "rave", "device"), "cpu")
        await to_page(pilot, 3)
        config = screen.get_config()
        assert config["name"] == "rave-v2_small-drums"
        assert config["command"][:8] == [
            "rave", "train", "--config", "v2_small", "--config", "causal", "--config", "snake",
        ]  # fmt: skip
        assert config["command"][8:10] == [
            "--db_path",
            "/tmp/tuitrain-wizard-snapshots/drums/rave_db",
        ]
        assert config["env"]["PL_TRAINER_LOG_EVERY_N_STEPS"] == "1"
        assert config["parser"] == "rave" and config["dataset_id"] == 2


async def test_start_is_refused_before_the_last_page_and_escape_cancels() -> None:
    app = host(catalog())
    async with app.run_test(size=(80, 24)) as pilot:
        await drain(pilot)
        await pilot.press("ctrl+s")
        await drain(pilot)
        assert isinstance(app.screen, NewTrainingScreen) and app.results == []
        await pilot.press("escape")
        await drain(pilot)
    assert app.results == [None]


def test_the_wizard_imports_no_ml_library() -> None:
    code = (
        "import sys\n"
        "import tuitrain.ui.screens.wizard, tuitrain.datasets.service\n"
        "bad = {'torch', 'ultralytics', 'transformers', 'lightning', 'pytorch_lightning'}\n"
        "print(sorted(bad & {m.split('.')[0] for m in sys.modules}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
