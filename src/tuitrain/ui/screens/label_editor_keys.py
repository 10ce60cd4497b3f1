"""The label editor's keys: one list, shown in the footer and the help screen.

Arrows move the selected box one pixel (shift: ten); ``m`` makes them resize it
instead. Number keys set the class of the selected box (or of the next one added).
"""

from __future__ import annotations

from textual.binding import Binding

from tuitrain.datasets.label_edit import BIG_STEP_PX, STEP_PX

ARROWS = {"left": (-1, 0), "right": (1, 0), "up": (0, -1), "down": (0, 1)}


def _arrow_bindings() -> list[Binding]:
    out: list[Binding] = []
    for key, (dx, dy) in ARROWS.items():
        first = key == "left"
        out.append(
            Binding(
                key,
                f"arrow({dx}, {dy}, {STEP_PX})",
                "Move",
                show=first,
                key_display="←↑↓→" if first else None,
                tooltip="Move the box 1 px (m: resize it; shift: 10 px)"
                if first
                else f"Move (or resize) the box {STEP_PX} px {key}",
            )
        )
        out.append(
            Binding(
                f"shift+{key}",
                f"arrow({dx}, {dy}, {BIG_STEP_PX})",
                "Move 10 px",
                show=False,
                tooltip=f"Move (or resize) the box {BIG_STEP_PX} px {key}",
            )
        )
    return out


def _class_bindings() -> list[Binding]:
    return [
        Binding(
            str(i),
            f"number_class({i})",
            "Class",
            show=i == 0,
            key_display="0-9" if i == 0 else None,
            tooltip="Class by number for the selected box (or the next one added)"
            if i == 0
            else f"Class {i} for the selected box",
        )
        for i in range(10)
    ]


EDITOR_BINDINGS: list[Binding] = [
    Binding("n", "image(1)", "Next", tooltip="Next image"),
    Binding("p", "image(-1)", "Prev", tooltip="Previous image"),
    Binding("u", "next_unlabeled", "Unlabeled", tooltip="Jump to the next unlabeled image"),
    Binding("f", "filter", "Filter", tooltip="Show all, unlabeled, labeled or reviewed images"),
    Binding(
        "right_square_bracket", "box(1)", "Box", key_display="]", tooltip="Select the next box"
    ),
    Binding(
        "left_square_bracket",
        "box(-1)",
        "Prev box",
        key_display="[",
        show=False,
        tooltip="Select the previous box",
    ),
    Binding("a", "add", "Add", tooltip="Add a box (class of the last box picked)"),
    Binding("x", "delete", "Delete", tooltip="Delete the selected box"),
    Binding("c", "pick_class", "Class", tooltip="Pick the class of the selected box"),
    *_class_bindings(),
    *_arrow_bindings(),
    Binding("m", "mode", "Resize", tooltip="Arrows move the box, or resize it"),
    Binding("z", "undo", "Undo", tooltip="Undo the last change"),
    Binding("y", "redo", "Redo", tooltip="Redo what was undone"),
    Binding("v", "reviewed", "Reviewed", tooltip="Mark the image reviewed (again: labeled)"),
    Binding("o", "open_preview", "Open", tooltip="Open the preview in the image viewer"),
    Binding("l", "open_tool", "Label tool", tooltip="Open the image in the labeling tool"),
    Binding("escape", "back", "Back", tooltip="Back to the datasets"),
]
