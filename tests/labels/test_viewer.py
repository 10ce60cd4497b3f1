"""The external viewer: a real program started with the file as its own argument,
no shell, in its own session; every way it cannot start is a one-line error."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.labels.viewer_support import recorded_argvs, recording_viewer
from tuitrain.viewer import ViewerError, open_external, viewer_command

NASTY = "a b; touch pwned.png"


@pytest.fixture(autouse=True)
def no_viewer_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TUITRAIN_VIEWER", "TUITRAIN_LABELING_TOOL", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(name, raising=False)


def test_nasty_file_name_is_one_argument_and_runs_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "argv.jsonl"
    script = recording_viewer(tmp_path / "bin", record)
    monkeypatch.setenv("TUITRAIN_VIEWER", f"{script} --fullscreen")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    image = work / f"{NASTY}.png"
    image.write_bytes(b"\x89PNG fake")
    open_external(image, home=tmp_path / "home")
    assert recorded_argvs(record) == [["--fullscreen", str(image)]]
    assert not (work / "pwned.png").exists()
    assert sorted(p.name for p in work.iterdir()) == [f"{NASTY}.png"]


def test_config_viewer_and_labeling_tool(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    record = tmp_path / "argv.jsonl"
    script = recording_viewer(tmp_path / "my bin", record)
    (home / "config.toml").write_text(
        f"[viewer]\ncommand = \"'{script}' -z\"\nlabeling_tool = \"'{script}' --label\"\n"
    )
    image = tmp_path / "img 1.png"
    image.write_bytes(b"x")
    open_external(image, home=home)
    recorded_argvs(record, 1)
    open_external(image, tool="labeling_tool", home=home)
    assert recorded_argvs(record, 2) == [["-z", str(image)], ["--label", str(image)]]


def test_environment_wins_over_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "config.toml").write_text('[viewer]\ncommand = "feh"\n')
    monkeypatch.setenv("TUITRAIN_VIEWER", "sxiv -b")
    assert viewer_command(home=home).argv == ("sxiv", "-b")
    assert viewer_command(home=home).source == "TUITRAIN_VIEWER"


def test_failed_exit_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    record = tmp_path / "argv.jsonl"
    script = recording_viewer(tmp_path / "bin", record, code=3)
    monkeypatch.setenv("TUITRAIN_VIEWER", str(script))
    image = tmp_path / "i.png"
    image.write_bytes(b"x")
    failures: list[str] = []
    heard = threading.Event()

    def failed(message: str) -> None:
        failures.append(message)
        heard.set()

    open_external(image, home=tmp_path, on_failure=failed)
    assert heard.wait(15)
    assert failures == [f"{script} exited with code 3"]


@pytest.mark.parametrize(
    ("setup", "tool", "message"),
    [
        ({}, "viewer", "no image viewer: no display here; set TUITRAIN_VIEWER"),
        ({}, "labeling_tool", "no labeling tool configured"),
        ({"TUITRAIN_VIEWER": "/nonexistent/viewer"}, "viewer", "'/nonexistent/viewer' not found"),
        ({"TUITRAIN_VIEWER": "feh 'unclosed"}, "viewer", "TUITRAIN_VIEWER: cannot split"),
        ({"TUITRAIN_VIEWER": "x"}, "printer", "unknown tool 'printer'"),
    ],
)
def test_cannot_open_is_a_one_line_error(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    setup: dict[str, str],
    tool: str,
    message: str,
) -> None:
    for name, value in setup.items():
        monkeypatch.setenv(name, value)
    image = tmp_path / "i.png"
    image.write_bytes(b"x")
    with pytest.raises(ViewerError) as info:
        open_external(image, tool=tool, home=tmp_path)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file_and_bad_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ViewerError, match="no such file to open"):
        open_external(tmp_path / "gone.png", home=tmp_path)
    (tmp_path / "config.toml").write_text("[viewer]\ncommand = 3\n")
    image = tmp_path / "i.png"
    image.write_bytes(b"x")
    with pytest.raises(ViewerError, match=r"viewer.command must be a command"):
        open_external(image, home=tmp_path)
    (tmp_path / "config.toml").write_text("[viewer\n")
    with pytest.raises(ViewerError, match="cannot read"):
        open_external(image, home=tmp_path)
