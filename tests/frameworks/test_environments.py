"""Training environments per host from ``config.toml``, and the commands built in them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tuitrain.frameworks import build_command
from tuitrain.frameworks.environments import (
    Environment,
    SettingsError,
    environment_for,
    environments,
    load_settings,
    runners_dir,
)

CONFIG = """
[hosts.local.environments]
yolo = "/opt/envs/yolo/bin/python"
rave = "conda run --no-capture-output -n rave"
default = "~/envs/ml/bin/python"

[hosts.gpu1]
runners_dir = "/srv/tuitrain/runners"

[hosts.gpu1.environments]
detr = { python = "/usr/bin/python3", prefix = "nice -n 5" }
"""


@pytest.fixture
def configured(home: Path) -> Path:
    home.mkdir(parents=True)
    (home / "config.toml").write_text(CONFIG)
    return home


def test_an_interpreter_a_prefix_a_table_and_the_default(configured: Path) -> None:
    envs = {e.framework: e for e in environments()}
    assert envs["yolo"] == Environment("yolo", "local", "/opt/envs/yolo/bin/python", (), True)
    assert envs["rave"].prefix == ("conda", "run", "--no-capture-output", "-n", "rave")
    assert envs["rave"].python == "python"
    assert envs["detr"].python == str(Path("~/envs/ml/bin/python").expanduser())
    detr = environment_for("detr", "gpu1")
    assert (detr.python, detr.prefix) == ("/usr/bin/python3", ("nice", "-n", "5"))
    # Not configured on another host: that host's python3 (this interpreter is not there).
    assert environment_for("yolo", "gpu1") == Environment("yolo", "gpu1", "python3")
    assert "default" in environment_for("yolo", "gpu1").describe()


def test_without_a_config_everything_runs_in_this_interpreter(home: Path) -> None:
    assert load_settings() == {}
    assert {e.python for e in environments()} == {sys.executable}
    assert runners_dir().endswith("/tuitrain/runners")


def test_recipes_run_in_the_configured_environment(configured: Path, tmp_path: Path) -> None:
    data = tmp_path / "data.yaml"
    data.write_text("names: [a]\n")
    yolo = build_command({"framework": "yolo", "name": "y", "params": {"data": str(data)}})
    assert yolo[0] == "/opt/envs/yolo/bin/python"
    db = tmp_path / "db"
    db.mkdir()
    (db / "data.mdb").write_bytes(b"")
    rave = build_command({"framework": "rave", "name": "r", "params": {"db_path": str(db)}})
    assert rave[:7] == ["conda", "run", "--no-capture-output", "-n", "rave", "rave", "train"]
    # A remote host: its own runners folder.
    detr = build_command(
        {"framework": "detr", "name": "d", "host": "gpu1", "params": {"data": str(data)}}
    )
    assert detr[:4] == ["nice", "-n", "5", "/usr/bin/python3"]
    assert detr[4] == "/srv/tuitrain/runners/detr.py"
    # The config's own interpreter wins.
    own = build_command(
        {"framework": "yolo", "name": "y", "python": "/x/python", "params": {"data": str(data)}}
    )
    assert own[0] == "/x/python"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[hosts.local.environments\n", r"^cannot read .*config.toml: "),
        ('[hosts.local.environments]\nyolo = ""\n', r"hosts.local.environments.yolo is empty$"),
        ("[hosts.local.environments]\nyolo = 3\n", r"must be a python path, a command prefix"),
        ("[hosts.local.environments]\nyolo = { python = 3 }\n", r"python and prefix must be"),
        ("[hosts.local]\nenvironments = 1\n", r"hosts.local.environments must be a table$"),
    ],
)
def test_bad_configs_are_refused_with_the_reason(home: Path, text: str, reason: str) -> None:
    home.mkdir(parents=True)
    (home / "config.toml").write_text(text)
    with pytest.raises(SettingsError, match=reason):
        environment_for("yolo")
