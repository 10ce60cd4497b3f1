"""Recipes of the frameworks tuitrain runs: YOLO, DETR and RAVE.

A recipe knows a framework's parameters (typed and checked), the command that trains
with them (an argv list), the environment variables it needs and the parser that reads
its output. No UI and no ML library is imported here: the TUI, the CLI and the engine
(``validate_config``) all build commands through :func:`build_command`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tuitrain.frameworks.detr import DetrRecipe
from tuitrain.frameworks.params import ParamError, ParamSpec
from tuitrain.frameworks.rave import RaveRecipe
from tuitrain.frameworks.recipe import BuildContext, Recipe, display_command, run_slug
from tuitrain.frameworks.yolo import YoloRecipe

__all__ = [
    "RECIPES",
    "BuildContext",
    "ParamError",
    "ParamSpec",
    "Recipe",
    "build_command",
    "command_for_host",
    "complete_config",
    "display_command",
    "recipe_for",
    "run_slug",
]

RECIPES: dict[str, Recipe] = {r.name: r for r in (YoloRecipe(), DetrRecipe(), RaveRecipe())}
ALIASES = {"ultralytics": "yolo"}


def recipe_for(framework: object) -> Recipe:
    """The recipe of ``framework`` (case-insensitive), or ``ValueError`` saying why."""
    key = str(framework or "").strip().lower()
    key = ALIASES.get(key, key)
    try:
        return RECIPES[key]
    except KeyError:
        choices = ", ".join(RECIPES)
        raise ValueError(f"unknown framework {framework!r}: choose {choices} or custom") from None


def build_command(config: Mapping[str, Any]) -> list[str]:
    """The argv that trains ``config["framework"]`` with ``config["params"]``.

    Raises ``ValueError`` with a one-line reason for an unknown framework, an unknown
    parameter or a bad value. Every parameter is written out, defaults included, so the
    command says exactly what runs whatever the framework's own defaults become.
    """
    return recipe_for(config.get("framework")).command(config)


def complete_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """``config`` ready for ``TrainingManager.start_training``: parameters parsed and
    complete, the command built (unless one is given), the recipe's environment under
    the config's own variables, and the recipe's parser unless one is chosen."""
    recipe = recipe_for(config.get("framework"))
    ctx = recipe.context(config)
    params = config.get("params") or {}
    if not isinstance(params, Mapping):
        raise ParamError("params must map parameter names to values")
    values = recipe.parse(params, ctx)
    out = dict(config)
    out["framework"] = recipe.name
    out["params"] = values
    if not out.get("command"):
        out["command"] = [*ctx.prefix, *recipe.argv(values, ctx)]
        out["command_host"] = str(config.get("host") or "local")  # whose environment
    out["env"] = recipe.environment(config)
    if str(out.get("parser") or "auto") == "auto":
        out["parser"] = recipe.parser
    return out


def command_for_host(config: Mapping[str, Any], host: str) -> dict[str, Any]:
    """``config`` with its command written for ``host``, where the queue placed it.

    A recipe's command is written for a host's environment (its python, prefix and
    runners); one written for ``any`` before the host was chosen is written again for
    ``host``. The config keeps its ``host`` (a restart is again ``any``). A command the
    user gave, or one already for ``host``, is left as it is. ``ValueError`` (one line)
    when the recipe refuses the parameters there."""
    built_for = config.get("command_host")
    if built_for is None or built_for == host:
        return dict(config)
    out = complete_config({**config, "host": host, "command": None})
    out["host"] = config.get("host")
    return out
