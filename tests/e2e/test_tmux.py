"""The real app in tmux, driven with send-keys and read with capture-pane, as a user
on a headless server would: a real YOLO training started through the wizard."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import cli

REPO = Path(__file__).resolve().parents[2]
YOLO_PYTHON = os.environ.get("TUITRAIN_YOLO_PYTHON")


def _need_yolo() -> str:
    if YOLO_PYTHON and Path(YOLO_PYTHON).exists():
        return YOLO_PYTHON
    if os.environ.get("CI") == "true":
        pytest.fail("TUITRAIN_YOLO_PYTHON is not set: scripts/test builds that environment")
    pytest.skip("no YOLO environment (TUITRAIN_YOLO_PYTHON); scripts/test builds one")


class Tmux:
    """One private tmux server (its own socket) with one pane running the app."""

    def __init__(self, env: dict[str, str]) -> None:
        self.socket = f"tuitrain-e2e-{uuid.uuid4().hex[:8]}"
        self.env = env

    def _tmux(self, *args: str) -> str:
        out = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30
        )
        return out.stdout

    def start(self, name: str) -> None:
        command = " ".join(
            [f"{k}={v}" for k, v in self.env.items()] + [sys.executable, "-m", "tuitrain"]
        )
        self._tmux(
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "100",
            "-y",
            "30",
            f"env -u COLUMNS -u LINES {command}",
        )
        self._tmux("resize-window", "-t", name, "-x", "100", "-y", "30")
        self.name = name

    def keys(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", self.name, *keys)

    def type(self, text: str) -> None:
        self._tmux("send-keys", "-t", self.name, "-l", text)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", self.name)

    def alive(self) -> bool:
        return self.name in self._tmux("list-sessions", "-F", "#{session_name}")

    def wait_for(self, test: Callable[[str], bool], what: str, timeout: float = 60) -> str:
        """Poll the screen until ``test`` holds (a terminal has no event to await)."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if test(screen):
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"never saw {what}; the screen was:\n{screen}")
            time.sleep(0.1)

    def wait_text(self, text: str, timeout: float = 60) -> str:
        return self.wait_for(lambda s: text in s, repr(text), timeout)

    def fill(self, label: str, value: str) -> None:
        """Replace the focused field's text with ``value`` and see it on screen under
        ``label`` (keys sent while focus moves can land early: send them again)."""
        pattern = re.compile(rf"^ {re.escape(label)}\s+{re.escape(value)}(\s|$)", re.M)
        for _ in range(5):
            self.keys("C-a", "C-k")
            self.type(value)
            try:
                self.wait_for(lambda s: bool(pattern.search(s)), f"{label} = {value}", 3)
                return
            except AssertionError:
                continue
        raise AssertionError(f"could not type {value!r} into {label}:\n{self.screen()}")

    def kill(self) -> None:
        self._tmux("kill-server")


@pytest.fixture
def tmux(home: Path) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.fail("tmux is not installed (.ci/run installs it)")
    term = Tmux(
        {"TUITRAIN_HOME": str(home), "TERM": "tmux-256color", "PYTHONPATH": str(REPO / "src")}
    )
    yield term
    term.kill()


def test_a_wizard_run_is_followed_to_the_end_and_still_there_after_a_restart(
    home: Path, tmp_path: Path, tmux: Tmux
) -> None:
    python = _need_yolo()
    home.mkdir(parents=True)
    (home / "config.toml").write_text(f'[hosts.local.environments]\nyolo = "{python}"\n')
    data = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "tiny_yolo_dataset.py"), str(tmp_path / "shapes")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()

    tmux.start("first")
    tmux.wait_text("No runs yet")
    tmux.keys("n")
    tmux.wait_text("Choose a dataset, or type a path")
    tmux.type(data)  # the path field has the focus from the wizard's first frame
    tmux.wait_text(f"✓ {data}")
    tmux.keys("C-n")
    tmux.wait_text("Which framework and model")
    tmux.keys("Tab")
    tmux.fill("Model", "yolo11n.yaml")
    tmux.keys("Tab")
    tmux.wait_for(lambda s: "Pretrained      ▐X▌" in s, "the pretrained box", 5)
    for _ in range(3):  # no pretrained weights: nothing may be downloaded
        tmux.keys("Space")
        try:
            tmux.wait_for(lambda s: "Pretrained      ▐X▌" not in s, "pretrained unticked", 2)
            break
        except AssertionError:
            continue
    tmux.keys("C-n")
    tmux.wait_text("How to train")
    fields = [
        ("Epochs", "6"),
        ("Image size", "64"),
        ("Batch size", "4"),
        (None, None),
        (None, None),
        (None, None),
        ("Device", "cpu"),
        ("Workers", "0"),
    ]
    for label, value in fields:  # learning rate, optimizer and patience stay as they are
        if label is not None and value is not None:
            tmux.fill(label, value)
        tmux.keys("Tab")
        # Focus moves leave no trace on a plain capture: give each its turn.
        time.sleep(0.3)
    tmux.keys("C-n")
    confirm = tmux.wait_text("Start training")
    assert "runners/yolo.py" in confirm and "epochs=6" in confirm and "imgsz=64" in confirm
    tmux.keys("C-s")
    tmux.wait_text("RUNNING", timeout=30)

    # Progress moves: several different percentages show up before the end.
    seen: set[str] = set()

    def progressed(screen: str) -> bool:
        row = next((line for line in screen.splitlines() if "yolo11n" in line), "")
        seen.update(re.findall(r"(\d+)%", row))
        return "COMPLETED" in row or len(seen - {"100"}) >= 2

    tmux.wait_for(progressed, "the progress moving", timeout=180)
    tmux.keys("Enter")
    detail = tmux.wait_text("losses", timeout=30)
    assert "#1 yolo11n" in detail
    chart = tmux.wait_for(
        lambda s: "COMPLETED" in s and "train/box_loss" in s and "epoch" in s,
        "the run complete",
        240,
    )
    assert "┤" in chart  # the plot has drawn its axis
    assert len(seen - {"100"}) >= 2 or "COMPLETED" in chart
    tmux.keys("Escape")
    tmux.wait_text("1 runs, 0 running")
    tmux.keys("C-q")
    tmux.wait_for(lambda _s: not tmux.alive(), "the app quit", 20)

    tmux.start("second")
    again = tmux.wait_text("COMPLETED")
    assert "100%" in again and "ep 6/6" in again
    shown = cli(home, "metrics", "1", "--csv", check=True).stdout.splitlines()
    epochs = sorted({int(r.split(",")[2]) for r in shown[1:] if r.startswith("train/box_loss,")})
    assert epochs == [1, 2, 3, 4, 5, 6]
    models = cli(home, "models", "1", check=True).stdout
    assert "best.pt" in models and "last.pt" in models
