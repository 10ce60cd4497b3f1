"""Validating what ``start_training`` is given, before anything is created."""

from __future__ import annotations

from typing import Any


class ConfigError(ValueError):
    """A training config that cannot run; the message says why, in one line."""


def validate_config(config: dict[str, Any]) -> dict[str, Any]:
    """A normalised copy of ``config`` or :class:`ConfigError`."""
    from tuitrain.parsers import PARSER_NAMES, make_parser

    name = str(config.get("name") or "").strip()
    if not name:
        raise ConfigError("a run needs a name")
    from tuitrain.gpus.request import GpuRequestError, apply_gpu_request

    try:  # before the recipe writes the command: it may set the device parameter
        config = apply_gpu_request(config)
    except GpuRequestError as exc:
        raise ConfigError(str(exc)) from exc
    command = config.get("command")
    framework = str(config.get("framework") or "custom")
    if not command and framework != "custom":
        # A framework run described by its parameters: the recipe writes the command,
        # its environment variables and the parser to use.
        from tuitrain.frameworks import complete_config

        try:
            config = complete_config(config)
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        command = config["command"]
        framework = str(config["framework"])
    if not isinstance(command, list | tuple) or not command:
        raise ConfigError("empty command")
    if not all(isinstance(a, str) for a in command) or not command[0]:
        raise ConfigError("the command must be a list of strings")
    parser = str(config.get("parser") or "auto")
    if parser not in PARSER_NAMES:
        raise ConfigError(f"unknown parser {parser!r} (choose from {', '.join(PARSER_NAMES)})")
    patterns = config.get("patterns") or {}
    if not isinstance(patterns, dict):
        raise ConfigError("patterns must map a metric name to a regular expression")
    try:
        make_parser(parser, dict(patterns))
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    env = config.get("env") or {}
    if not isinstance(env, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in env.items()
    ):
        raise ConfigError("env must map names to strings")
    out = dict(config)
    out.update(
        name=name,
        command=list(command),
        parser=parser,
        patterns=dict(patterns),
        env=dict(env),
        framework=framework,
        host=str(config.get("host") or "local"),
        params=dict(config.get("params") or {}),
        gpus=int(config["gpus"]),
    )
    return out
