"""build_command as the engine uses it, and the package's boundaries."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tuitrain.frameworks import RECIPES, build_command, display_command, recipe_for, run_slug
from tuitrain.runs.config import ConfigError, validate_config


def test_recipes() -> None:
    assert list(RECIPES) == ["yolo", "detr", "rave"]
    assert recipe_for("Ultralytics") is RECIPES["yolo"]
    for recipe in RECIPES.values():
        assert recipe.spec(recipe.dataset_param).required
        assert recipe.spec(recipe.length_param).kind == "int"
        names = [s.name for s in recipe.params]
        assert len(names) == len(set(names))
        # Every default is a good value.
        _values, errors = recipe.check({recipe.dataset_param: "x.yaml"})
        assert errors == {}, errors


def test_unknown_framework() -> None:
    with pytest.raises(
        ValueError, match=r"^unknown framework 'keras': choose yolo, detr, rave or custom$"
    ):
        build_command({"framework": "keras", "params": {}})


def test_params_must_be_a_mapping() -> None:
    with pytest.raises(ValueError, match=r"^params must map parameter names to values$"):
        build_command({"framework": "yolo", "params": ["epochs=1"]})


def test_command_prefix(data_yaml: Path) -> None:
    cfg = {
        "framework": "yolo",
        "name": "n",
        "python": "python",
        "command_prefix": ["conda", "run", "-n", "yolo"],
        "params": {"data": str(data_yaml)},
    }
    assert build_command(cfg)[:5] == ["conda", "run", "-n", "yolo", "python"]
    with pytest.raises(ValueError, match="command_prefix must be a list of strings"):
        build_command({**cfg, "command_prefix": "conda run"})


def test_run_slug() -> None:
    assert run_slug("My run: ducks/v2", "yolo") == "My-run-ducks-v2"
    assert run_slug("...", "yolo") == "yolo"
    assert run_slug("", "rave") == "rave"


def test_display_quotes_what_a_shell_would_split(tmp_path: Path) -> None:
    assert (
        display_command(["yolo", "data=/a b/data.yaml", "name=x"])
        == "yolo 'data=/a b/data.yaml' name=x"
    )


def test_validate_config_builds_the_command(data_yaml: Path) -> None:
    cfg = validate_config({"name": "v", "framework": "yolo", "params": {"data": str(data_yaml)}})
    assert cfg["command"][1].endswith("/tuitrain/runners/yolo.py")
    with pytest.raises(ConfigError, match=r"^epochs must be a positive integer$"):
        validate_config(
            {"name": "v", "framework": "yolo", "params": {"data": str(data_yaml), "epochs": 0}}
        )


def test_frameworks_import_neither_textual_nor_ml_libraries() -> None:
    code = (
        "import sys, tuitrain.frameworks as f\n"
        "bad = {'textual', 'torch', 'ultralytics', 'transformers', 'lightning', 'pytorch_lightning'}\n"
        "print(sorted(bad & {m.split('.')[0] for m in sys.modules}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
