"""``tuitrain dataset ...`` through the real command."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import cli
from tests.datasets.helpers import write_image
from tests.datasets.test_split import labelled_folder


def test_dataset_flow(home: Path, tmp_path: Path) -> None:
    src = labelled_folder(tmp_path / "src", 20)
    (src / "images" / "fake.png").write_text("hello")
    assert (
        cli(
            home,
            "dataset",
            "create",
            "cars",
            "--task",
            "detection",
            "--classes",
            "car,bike,bus",
            check=True,
        ).stdout
        == "1\n"
    )

    imported = cli(
        home, "dataset", "import", "1", str(src / "images"), "--labels", "yolo", str(src / "labels")
    )
    assert imported.returncode == 1  # one file refused
    lines = imported.stdout.splitlines()
    assert any(
        line.startswith("refused") and "fake.png: not a supported image: content is text" in line
        for line in lines
    )
    assert lines[-1] == "dataset 1: 20 imported, 0 duplicate(s) skipped, 1 refused"

    again = cli(home, "dataset", "import", "1", str(src / "images" / "img0000.png"), "--json")
    assert again.returncode == 0
    assert json.loads(again.stdout)["duplicates"] == 1

    split = cli(
        home, "dataset", "split", "1", "--val", "0.2", "--test", "0.1", "--seed", "7", check=True
    )
    assert split.stdout.startswith("dataset 1 split with seed 7: train 14, val 4, test 2")

    stats = json.loads(cli(home, "dataset", "stats", "1", "--json", check=True).stdout)
    assert stats["images"] == 20 and stats["labeled"] == 20
    assert stats["splits"] == {"test": 2, "train": 14, "val": 4}
    assert set(stats["boxes_per_class"]) == {"car", "bike", "bus"}
    human = cli(home, "dataset", "stats", "1", check=True).stdout
    assert "boxes per class:" in human and "█" in human

    dest = tmp_path / "out"
    exported = cli(home, "dataset", "export", "1", "--format", "coco", str(dest), check=True)
    assert exported.stdout.startswith("exported 20 image(s), 20 labeled")
    assert len(json.loads((dest / "annotations.json").read_text())["images"]) == 20

    listed = json.loads(cli(home, "dataset", "ls", "--json", check=True).stdout)
    assert [(d["id"], d["name"], d["items"], d["classes"]) for d in listed] == [
        (1, "cars", 20, ["car", "bike", "bus"])
    ]
    table = cli(home, "dataset", "ls", check=True).stdout.splitlines()
    assert table[0].split() == ["ID", "NAME", "TASK", "SOURCE", "ITEMS", "LABELED", "CLASSES"]
    assert table[1].split() == ["1", "cars", "detection", "local", "20", "20", "car,bike,bus"]


def test_bad_input_is_a_one_line_error(home: Path, tmp_path: Path) -> None:
    write_image(tmp_path / "a.png", 1)
    cli(home, "dataset", "create", "x", "--task", "detection", "--classes", "a", check=True)
    cases = [
        (("dataset", "stats", "9"), "no dataset with id 9"),
        (("dataset", "create", "x", "--task", "detection"), "already exists"),
        (("dataset", "create", "y", "--task", "video"), "invalid choice"),
        (("dataset", "import", "1", str(tmp_path / "missing")), "no such file or folder"),
        (
            ("dataset", "import", "1", str(tmp_path), "--labels", "voc", str(tmp_path)),
            "unknown labels format 'voc'",
        ),
        (("dataset", "split", "1", "--val", "1.5"), "--val must be between 0 and 1"),
        (("dataset", "split", "1", "--val", "0.2"), "no labeled images"),
        (("dataset", "export", "1", "--format", "yolo", str(tmp_path)), "is not an empty folder"),
        (("dataset", "split", "one", "--val", "0.2"), "invalid int value"),
        (("dataset",), "missing dataset command"),
    ]
    for args, message in cases:
        proc = cli(home, *args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert proc.stderr.startswith("tuitrain: error: ") and message in proc.stderr, (
            args,
            proc.stderr,
        )
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
