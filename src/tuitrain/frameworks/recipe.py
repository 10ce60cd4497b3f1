"""What every recipe shares: all parameters checked at once (the wizard shows every
reason, the CLI the first), the environment, the parser and the argv.

The argv is a list handed to ``exec`` as it is, never a shell string, so no value ever
needs quoting; :func:`display_command` quotes it for people to read or copy.
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from tuitrain.frameworks.params import ParamError, ParamSpec


def run_slug(name: str, fallback: str) -> str:
    """``name`` made safe for a folder name (Ultralytics' ``name=``, RAVE's ``--name``)."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")
    return slug[:80] or fallback


def display_command(argv: Sequence[str]) -> str:
    """The command as a shell would need it typed (for display and copying only)."""
    return shlex.join(argv)


@dataclass(frozen=True, slots=True)
class BuildContext:
    """Where and how the command will run.

    ``python`` is the training environment's interpreter and ``prefix`` goes before
    the whole command (such as ``conda run -n rave``): the config's own ``python`` and
    ``command_prefix`` when it has them, else the host's environment for the framework
    in ``config.toml`` (see :mod:`tuitrain.frameworks.environments`), else the current
    interpreter. ``runners`` is the folder of tuitrain's runner scripts on the host.
    Relative paths typed by the user are made absolute against ``cwd``, since the run
    itself starts in its own run folder; on a ``local`` host, dataset paths are also
    checked on disk.
    """

    name: str
    python: str
    prefix: tuple[str, ...]
    cwd: str
    local: bool
    runners: str = ""

    @classmethod
    def from_config(cls, config: Mapping[str, Any], fallback_name: str) -> BuildContext:
        """``fallback_name``: the framework, also the run's name when it has none."""
        from tuitrain.frameworks.environments import environment_for, load_settings, runners_dir

        prefix = config.get("command_prefix") or ()
        if isinstance(prefix, str) or not all(isinstance(p, str) for p in prefix):
            raise ParamError("command_prefix must be a list of strings")
        host = str(config.get("host") or "local")
        python = str(config.get("python") or "")
        settings = load_settings()
        if not python and not prefix:
            env = environment_for(fallback_name, host, settings)
            python, prefix = env.python, env.prefix
        return cls(
            name=run_slug(str(config.get("name") or ""), fallback_name),
            python=python or sys.executable,
            prefix=tuple(prefix),
            cwd=str(config.get("cwd") or os.getcwd()),
            local=host == "local",
            runners=str(config.get("runners_dir") or runners_dir(host, settings)),
        )

    def runner(self, script: str) -> str:
        """The path of one of tuitrain's runner scripts (``yolo.py``) on the host."""
        return os.path.join(self.runners, script)

    def tool(self, name: str) -> str:
        """A console script of the training environment: the one beside its
        interpreter when there is one (a venv not on PATH), else ``name`` from PATH."""
        if os.path.isabs(self.python):
            sibling = Path(self.python).parent / name
            if sibling.is_file() and os.access(sibling, os.X_OK):
                return str(sibling)
        return name

    def absolute(self, path: str) -> str:
        return os.path.abspath(os.path.join(self.cwd, os.path.expanduser(path)))


class Recipe(ABC):
    """A framework's recipe: its parameters, environment, parser and command."""

    name: ClassVar[str]
    label: ClassVar[str]
    parser: ClassVar[str]
    env: ClassVar[Mapping[str, str]]
    params: ClassVar[tuple[ParamSpec, ...]]
    # The parameter that takes the dataset, and what it must be.
    dataset_param: ClassVar[str]
    dataset_hint: ClassVar[str]
    # The parameter that says how long the training is (epochs or steps).
    length_param: ClassVar[str]
    # Parameters holding paths: made absolute against the context's cwd.
    path_params: ClassVar[frozenset[str]] = frozenset()

    def spec(self, name: str) -> ParamSpec:
        for spec in self.params:
            if spec.name == name:
                return spec
        raise KeyError(name)

    def specs(self, group: str) -> list[ParamSpec]:
        return [s for s in self.params if s.group == group]

    def defaults(self) -> dict[str, Any]:
        return {s.name: s.default for s in self.params}

    def check(
        self, raw: Mapping[str, object], ctx: BuildContext | None = None
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """Parsed values and, per parameter, the reason it is refused (all of them).

        Missing parameters take their default. With a ``ctx``, paths are made
        absolute and, on a local host, checked on disk.
        """
        errors: dict[str, str] = {}
        known = {s.name for s in self.params}
        for key in raw:
            if key not in known:
                errors[key] = (
                    f"unknown parameter {key!r} for {self.name} (known: {', '.join(sorted(known))})"
                )
        values: dict[str, Any] = {}
        for spec in self.params:
            value, reason = spec.validate(raw.get(spec.name, spec.default))
            if reason is not None:
                errors[spec.name] = reason
                continue
            if ctx is not None and value and spec.name in self.path_params:
                value = self.resolve_path(spec.name, str(value), ctx)
                reason = self.check_on_disk(spec.name, value) if ctx.local else None
                if reason is not None:
                    errors[spec.name] = reason
                    continue
            values[spec.name] = value
        return values, errors

    def parse(self, raw: Mapping[str, object], ctx: BuildContext | None = None) -> dict[str, Any]:
        """Parsed values, or :class:`ParamError` with the first reason."""
        values, errors = self.check(raw, ctx)
        if errors:
            raise ParamError(next(iter(errors.values())))
        return values

    def resolve_path(self, name: str, value: str, ctx: BuildContext) -> str:
        return ctx.absolute(value)

    def check_on_disk(self, name: str, path: str) -> str | None:
        """Why the path given to ``name`` cannot be used here, or None."""
        if name == self.dataset_param:
            return self.check_dataset(path)
        return None if os.path.exists(path) else f"{name}: {path} does not exist"

    @abstractmethod
    def check_dataset(self, path: str) -> str | None:
        """Why ``path`` (absolute, on this machine) is no dataset for this framework."""

    @abstractmethod
    def argv(self, values: Mapping[str, Any], ctx: BuildContext) -> list[str]:
        """The command for checked ``values`` (without the context's prefix)."""

    # -- a whole config ----------------------------------------------------------------
    def context(self, config: Mapping[str, Any]) -> BuildContext:
        return BuildContext.from_config(config, self.name)

    def command(self, config: Mapping[str, Any]) -> list[str]:
        ctx = self.context(config)
        values = self.parse(_params_of(config), ctx)
        return [*ctx.prefix, *self.argv(values, ctx)]

    def environment(self, config: Mapping[str, Any]) -> dict[str, str]:
        """The recipe's variables, under those the config sets itself."""
        own = config.get("env") or {}
        return {**self.env, **{str(k): str(v) for k, v in dict(own).items()}}


def _params_of(config: Mapping[str, Any]) -> Mapping[str, object]:
    params = config.get("params") or {}
    if not isinstance(params, Mapping):
        raise ParamError("params must map parameter names to values")
    return params
