"""Boundaries the design depends on, checked in a fresh interpreter."""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import tuitrain

HEAVY = (
    "textual",
    "torch",
    "ultralytics",
    "transformers",
    "pytorch_lightning",
    "lightning",
    "rave",
)


def _domain_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(tuitrain.__path__, "tuitrain."):
        if (
            info.name.startswith(("tuitrain.ui", "tuitrain.runners"))
            or info.name == "tuitrain.__main__"
        ):
            continue
        names.append(info.name)
    return names


def test_domain_imports_neither_textual_nor_ml_libraries() -> None:
    modules = _domain_modules()
    assert "tuitrain.runs.manager" in modules and "tuitrain.datasets.service" in modules
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_the_ui_never_imports_ml_libraries() -> None:
    code = (
        "import json, sys, pkgutil, importlib, tuitrain.ui\n"
        "for i in pkgutil.walk_packages(tuitrain.ui.__path__, 'tuitrain.ui.'): importlib.import_module(i.name)\n"
        f"print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY[1:]!r}))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_stylesheet_ships_inside_the_package() -> None:
    from importlib.resources import files

    assert files("tuitrain.ui").joinpath("tuitrain.tcss").is_file()
