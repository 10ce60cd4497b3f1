"""YOLO txt labels: one file per image, ``class x_center y_center width height`` per
line, normalised; class names in ``classes.txt`` or ``data.yaml``.

Every bad line is reported with its file and line number; an empty file is a
background image (labeled, no boxes).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from tuitrain.datasets.boxes import Box, ImageLabels, LabelSet, SourceBox, coordinate_problem
from tuitrain.datasets.errors import DatasetError

NAME_FILES = ("classes.txt", "data.yaml", "data.yml")


def read_yolo_labels(folder: Path, names: Mapping[int, str] | None = None) -> LabelSet:
    """Every ``*.txt`` under ``folder`` (but classes.txt), keyed by the image stem.

    Class names come from ``names``, else from classes.txt or data.yaml in the folder
    or its parent, else the labels name none (ids are the dataset's own).
    """
    if not folder.is_dir():
        raise DatasetError(f"YOLO labels must be a folder of .txt files: {folder} is not a folder")
    found = dict(names) if names is not None else find_class_names(folder)
    by_key: dict[str, ImageLabels] = {}
    notes: list[str] = []
    for path in sorted(folder.rglob("*.txt")):
        if path.name in NAME_FILES or path.name.startswith("."):
            continue
        labels = parse_yolo_file(path, display=str(path.relative_to(folder.parent)))
        if path.stem in by_key:
            notes.append(f"{labels.source}: a second label file for {path.stem!r}, ignored")
            continue
        by_key[path.stem] = labels
    return LabelSet("yolo", found, by_key, "stem", notes)


def parse_yolo_file(path: Path, display: str | None = None) -> ImageLabels:
    shown = display or str(path)
    labels = ImageLabels(source=shown)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        labels.problems.append(f"{shown}: unreadable ({exc})")
        return labels
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{shown} line {number}"
        parsed = parse_yolo_line(line)
        if isinstance(parsed, str):
            labels.problems.append(f"{where}: {parsed}")
        else:
            labels.boxes.append(SourceBox(parsed, where))
    return labels


def parse_yolo_line(line: str) -> Box | str:
    """A box, or why the line is not one."""
    fields = line.split()
    if len(fields) != 5:
        return f"expected 5 values (class x_center y_center width height), got {len(fields)}"
    try:
        raw_class = float(fields[0])
        xc, yc, w, h = (float(v) for v in fields[1:])
    except ValueError:
        return f"not numbers: {line.strip()!r}"
    if not math.isfinite(raw_class) or raw_class != int(raw_class) or raw_class < 0:
        return f"class id {fields[0]!r} is not a non-negative integer"
    problem = coordinate_problem(xc, yc, w, h)
    if problem:
        return problem
    return Box(int(raw_class), xc, yc, w, h)


def format_yolo_line(box: Box) -> str:
    values = (box.x_center, box.y_center, box.width, box.height)
    return f"{box.class_id} " + " ".join(f"{v:.10g}" for v in values)


def yolo_text(boxes: Iterable[Box]) -> str:
    return "".join(format_yolo_line(b) + "\n" for b in boxes)


def find_class_names(folder: Path) -> dict[int, str] | None:
    for where in (folder, folder.parent):
        for name in NAME_FILES:
            candidate = where / name
            if candidate.is_file():
                names = (
                    read_classes_txt(candidate)
                    if candidate.suffix == ".txt"
                    else read_data_yaml_names(candidate)
                )
                if names is not None:
                    return names
    return None


def read_classes_txt(path: Path) -> dict[int, str]:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return {i: name for i, name in enumerate(line for line in lines if line)}


def read_data_yaml_names(path: Path) -> dict[int, str] | None:
    """The ``names:`` of an Ultralytics data.yaml: a flow list, a block list or a mapping.

    A small reader of just that key, so reading labels needs no YAML library.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        match = re.match(r"^names\s*:\s*(.*)$", line)
        if not match:
            continue
        rest = _strip_comment(match.group(1)).strip()
        if rest.startswith("["):
            flow = rest
            j = i + 1
            while not flow.rstrip().endswith("]") and j < len(lines):
                flow += " " + lines[j].strip()
                j += 1
            return dict(enumerate(_split_flow(flow.strip()[1:-1])))
        if rest.startswith("{"):
            return _parse_mapping(_split_flow(rest.strip()[1:-1]))
        block: list[str] = []
        for item in lines[i + 1 :]:
            if item.strip() and not item.startswith((" ", "\t", "-")):
                break
            if item.strip():
                block.append(_strip_comment(item).strip())
        if block and all(b.startswith("-") for b in block):
            return {k: _unquote(b[1:].strip()) for k, b in enumerate(block)}
        return _parse_mapping(block)
    return None


def _parse_mapping(items: Sequence[str]) -> dict[int, str]:
    names: dict[int, str] = {}
    for item in items:
        key, sep, value = item.partition(":")
        if not sep:
            continue
        try:
            names[int(key.strip())] = _unquote(value.strip())
        except ValueError as exc:
            raise DatasetError(f"data.yaml names: bad entry {item!r}") from exc
    return names


def _split_flow(text: str) -> list[str]:
    items: list[str] = []
    current = ""
    quote: str | None = None
    for ch in text:
        if quote:
            current += ch
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
            current += ch
        elif ch == ",":
            items.append(current.strip())
            current = ""
        else:
            current += ch
    if current.strip():
        items.append(current.strip())
    return [_unquote(i) for i in items]


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def _strip_comment(text: str) -> str:
    return re.sub(r"\s+#.*$", "", text)


def data_yaml_text(root: Path, classes: Sequence[str], splits: Mapping[str, str]) -> str:
    """An Ultralytics data.yaml. Strings are JSON-quoted, which YAML reads as is."""
    lines = [f"path: {json.dumps(str(root))}"]
    for key, folder in splits.items():
        lines.append(f"{key}: {json.dumps(folder)}")
    lines.append(f"nc: {len(classes)}")
    lines.append("names:")
    lines.extend(f"  {i}: {json.dumps(name)}" for i, name in enumerate(classes))
    return "\n".join(lines) + "\n"


def classes_txt_text(classes: Sequence[str]) -> str:
    return "".join(f"{name}\n" for name in classes)
