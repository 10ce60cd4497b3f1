"""Typed parameters of a recipe: what the wizard shows and what ``--set`` accepts.

A :class:`ParamSpec` turns a raw value (text typed in the wizard, JSON from the CLI, a
value from a stored config) into its parsed value, or a human reason in one line that
the wizard shows beside the field and the CLI prints before anything starts.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["int", "float", "str", "bool", "choice", "multi"]
# Which wizard page shows a parameter.
Group = Literal["dataset", "model", "training"]

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


class ParamError(ValueError):
    """A parameter that cannot be used; the message is one line."""


@dataclass(frozen=True, slots=True)
class ParamSpec:
    """One parameter of a recipe.

    ``choices`` are the only values of a choice (or multi) and suggestions for a text;
    ``minimum`` bounds numbers (``exclusive`` makes it strict: ``minimum=0,
    exclusive=True`` reads "a positive number"); ``check`` adds a rule of its own and
    returns the reason or None; ``convert`` normalises a good value; ``expect`` replaces
    the words of :meth:`expects`; ``optional`` lets the value be empty (None: left out of
    the command); ``required`` has no default and must be given.
    """

    name: str
    label: str
    kind: Kind
    default: Any = None
    choices: tuple[str, ...] = ()
    help: str = ""
    group: Group = "training"
    minimum: float | None = None
    exclusive: bool = False
    required: bool = False
    optional: bool = False
    check: Callable[[Any], str | None] | None = None
    convert: Callable[[Any], Any] | None = None
    expect: str = ""

    def parse(self, raw: object) -> Any:
        """The parsed value of ``raw``, or :class:`ParamError` with the reason."""
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if self.kind == "multi":
                return []
            if self.required:
                raise ParamError(
                    f"{self.name} is required" + (f": {self.help}" if self.help else "")
                )
            if self.optional:
                return None
            raise ParamError(f"{self.name} must be {self.expects()}")
        value = self._parse_kind(raw)
        if self.check is not None:
            reason = self.check(value)
            if reason:
                raise ParamError(reason)
        return self.convert(value) if self.convert is not None else value

    def validate(self, raw: object) -> tuple[Any, str | None]:
        """``(value, None)`` when ``raw`` is good, ``(None, reason)`` otherwise."""
        try:
            return self.parse(raw), None
        except ParamError as exc:
            return None, str(exc)

    def expects(self) -> str:
        """What a good value is, in words ("a positive integer")."""
        if self.expect:
            return self.expect
        if self.kind in ("int", "float"):
            noun = "integer" if self.kind == "int" else "number"
            if self.minimum == 0 and self.exclusive:
                return f"a positive {noun}"
            if self.minimum == 0:
                return f"0 or a positive {noun}"
            if self.minimum is not None:
                op = ">" if self.exclusive else ">="
                return f"an {noun} {op} {format_value(self.minimum)}"
            return f"an {noun}" if noun == "integer" else "a number"
        if self.kind == "bool":
            return "true or false"
        if self.kind in ("choice", "multi"):
            return "one of " + ", ".join(self.choices)
        return "a text"

    def display(self, value: Any) -> str:
        """``value`` as the wizard's text field shows it."""
        if value is None:
            return ""
        if self.kind == "multi":
            return ",".join(str(v) for v in value)
        return format_value(value)

    # -- kinds -----------------------------------------------------------------------
    def _parse_kind(self, raw: object) -> Any:
        if self.kind == "int":
            return self._bounded(_to_int(raw))
        if self.kind == "float":
            return self._bounded(_to_float(raw))
        if self.kind == "bool":
            return self._to_bool(raw)
        if self.kind == "choice":
            return self._to_choice(raw)
        if self.kind == "multi":
            return self._to_multi(raw)
        if not isinstance(raw, str | int | float) or isinstance(raw, bool):
            raise ParamError(f"{self.name} must be {self.expects()}")
        text = str(raw).strip()
        if "\n" in text or "\r" in text:
            raise ParamError(f"{self.name} must be a single line")
        return text

    def _bounded(self, value: int | float | None) -> int | float:
        if value is None:
            raise ParamError(f"{self.name} must be {self.expects()}")
        if self.minimum is not None:
            low = self.minimum
            if value < low or (self.exclusive and value == low):
                raise ParamError(f"{self.name} must be {self.expects()}")
        return value

    def _to_bool(self, raw: object) -> bool:
        if isinstance(raw, bool):
            return raw
        text = str(raw).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ParamError(f"{self.name} must be true or false")

    def _to_choice(self, raw: object) -> str:
        text = str(raw).strip()
        for choice in self.choices:
            if text.lower() == choice.lower():
                return choice
        raise ParamError(f"{self.name} must be {self.expects()}")

    def _to_multi(self, raw: object) -> list[str]:
        items: Sequence[object] = raw.split(",") if isinstance(raw, str) else _as_list(raw)
        chosen: list[str] = []
        for item in items:
            text = str(item).strip()
            if not text:
                continue
            match = next((c for c in self.choices if c.lower() == text.lower()), None)
            if match is None:
                raise ParamError(
                    f"{self.name}: unknown {text!r} (choose from {', '.join(self.choices)})"
                )
            if match not in chosen:
                chosen.append(match)
        return chosen


def _as_list(raw: object) -> Sequence[object]:
    if isinstance(raw, list | tuple):
        return raw
    return [raw]


def _to_int(raw: object) -> int | None:
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str):
        text = raw.strip()
        if text.lstrip("+-").isdigit():
            return int(text)
    return None


def _to_float(raw: object) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def format_value(value: Any) -> str:
    """How a value is written on a command line: shortest round-trip floats, ``True``
    and ``False`` for booleans (what Ultralytics and argparse-style flags read)."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float):
        return repr(value)
    return str(value)


# -- shared parameters -------------------------------------------------------------------
DEVICE_HELP = "auto, cpu or GPU ids such as 0 or 0,1"


def check_device(value: Any) -> str | None:
    """``auto``, ``cpu`` or GPU ids such as ``0`` or ``0,1``."""
    text = str(value).strip().lower()
    if text in ("auto", "cpu"):
        return None
    ids = [part.strip() for part in text.split(",")]
    if all(part.isdigit() for part in ids) and len({int(p) for p in ids}) == len(ids):
        return None
    return f"device must be {DEVICE_HELP}"


def normalize_device(value: Any) -> str:
    text = str(value).strip().lower()
    if text in ("auto", "cpu"):
        return text
    return ",".join(str(int(part)) for part in text.split(","))


def device_ids(device: str) -> list[int]:
    """The GPU ids of a checked device ("0,1" -> [0, 1]; auto and cpu -> [])."""
    if device in ("auto", "cpu"):
        return []
    return [int(part) for part in device.split(",")]


def device_param(default: str = "auto") -> ParamSpec:
    return ParamSpec(
        "device",
        "Device",
        "str",
        default,
        help=DEVICE_HELP,
        check=check_device,
        convert=normalize_device,
        expect=DEVICE_HELP,
    )


# -- what a run asks of its host (not a recipe's parameter) -------------------------------
GPUS_PARAM = ParamSpec(
    "gpus",
    "GPUs",
    "int",
    0,
    minimum=0,
    help="GPUs the run waits for, first in first out (0: none)",
)
