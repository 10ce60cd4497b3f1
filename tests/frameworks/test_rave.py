"""The RAVE recipe: flags as `rave train --help` lists them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import tuitrain.runners
from tests.conftest import TESTS
from tuitrain.frameworks import build_command, complete_config
from tuitrain.frameworks.rave import ARCHITECTURES, RaveRecipe

HELP = Path("/work/shared/fixtures/outputs/rave_train_help.txt")
LOCAL_HELP = TESTS / "fixtures" / "outputs" / "rave_train_help.txt"


def config(db: Path | str, python: str, **params: Any) -> dict[str, Any]:
    return {
        "name": "drums",
        "framework": "rave",
        "python": python,
        "params": {"db_path": str(db), **params},
    }


def test_typical_command(rave_db: Path, env_python: str) -> None:
    cfg = config(
        rave_db,
        env_python,
        config="v2_small",
        modifiers=["causal", "snake"],
        max_steps=20,
        batch=2,
        channels=1,
        n_signal=65536,
        val_every=10,
        workers=0,
        device="cpu",
    )
    assert build_command(cfg) == [
        "rave", "train", "--config", "v2_small", "--config", "causal", "--config", "snake",
        "--db_path", str(rave_db), "--name", "drums", "--out_path", "runs",
        "--max_steps", "20", "--batch", "2", "--channels", "1", "--n_signal", "65536",
        "--val_every", "10", "--workers", "0", "--gpu", "-1",
    ]  # fmt: skip


def test_defaults_gpus_and_overrides(rave_db: Path, env_python: str) -> None:
    argv = build_command(config(rave_db, env_python))
    assert argv[2:4] == ["--config", "v2"]
    assert "--gpu" not in argv and "--override" not in argv
    assert argv[-12:] == [
        "--max_steps", "6000000", "--batch", "8", "--channels", "1", "--n_signal", "131072",
        "--val_every", "10000", "--workers", "8",
    ]  # fmt: skip
    argv = build_command(
        config(rave_db, env_python, device="0,1", overrides="PHASE_1_DURATION=100; x.y = [1, 2]")
    )
    assert argv[-8:] == [
        "--gpu", "0", "--gpu", "1",
        "--override", "PHASE_1_DURATION=100", "--override", "x.y = [1, 2]",
    ]  # fmt: skip


def test_every_flag_exists_in_the_help_text(rave_db: Path, env_python: str) -> None:
    help_file = LOCAL_HELP if LOCAL_HELP.exists() else HELP
    if not help_file.exists():
        pytest.skip("rave_train_help.txt is not available")
    known = set(re.findall(r"^\s+--(?:\[no\])?(\w+):", help_file.read_text(), re.M))
    argv = build_command(config(rave_db, env_python, device="0", overrides="A=1"))
    used = {a[2:] for a in argv if a.startswith("--")}
    assert used <= known, used - known


def test_env_and_parser(rave_db: Path, env_python: str) -> None:
    out = complete_config(config(rave_db, env_python))
    assert out["parser"] == "rave"
    assert out["env"]["PL_TRAINER_LOG_EVERY_N_STEPS"] == "1"


def test_configurations() -> None:
    assert {"v1", "v2", "v2_small", "v3", "discrete", "onnx", "raspberry"} <= set(ARCHITECTURES)
    modifiers = RaveRecipe().spec("modifiers").choices
    assert {"causal", "snake", "noise"} <= set(modifiers)


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"max_steps": 0}, "max_steps must be a positive integer"),
        ({"max_steps": "abc"}, "max_steps must be a positive integer"),
        ({"batch": 0}, "batch must be a positive integer"),
        ({"channels": 0}, "channels must be a positive integer"),
        ({"n_signal": -1}, "n_signal must be a positive integer"),
        ({"val_every": "x"}, "val_every must be a positive integer"),
        ({"workers": -1}, "workers must be 0 or a positive integer"),
        ({"config": "v9"}, "config must be one of v1, v2, v2_small, "),
        ({"modifiers": "causal,turbo"}, "modifiers: unknown 'turbo' (choose from causal, snake, "),
        ({"device": "0,0"}, "device must be auto, cpu or GPU ids such as 0 or 0,1"),
        ({"overrides": "lr"}, "overrides: 'lr' is not a gin binding such as NAME=value"),
        ({"lr": 0.001}, "unknown parameter 'lr' for rave"),
    ],
)
def test_every_refusal(params: dict[str, Any], reason: str, rave_db: Path, env_python: str) -> None:
    with pytest.raises(ValueError) as err:
        build_command(config(rave_db, env_python, **params))
    assert str(err.value).startswith(reason)


def test_database_refusals(tmp_path: Path, env_python: str) -> None:
    with pytest.raises(ValueError, match=r"^database folder .*/nope does not exist$"):
        build_command(config(tmp_path / "nope", env_python))
    audio = tmp_path / "audio"
    audio.mkdir()
    (audio / "notes.txt").write_text("no audio here")
    with pytest.raises(
        ValueError, match=r"is neither a RAVE database \(no data.mdb\) nor a folder"
    ):
        build_command(config(audio, env_python))


def test_a_folder_of_audio_is_preprocessed_first_in_the_same_run(
    tmp_path: Path, env_python: str
) -> None:
    audio = tmp_path / "audio" / "takes"
    audio.mkdir(parents=True)
    (audio / "a.WAV").write_bytes(b"")
    cfg = config(tmp_path / "audio", env_python, channels=2, n_signal=262144, device="cpu")
    argv = build_command(cfg)
    runners = Path(tuitrain.runners.__file__).resolve().parent
    assert argv[:12] == [
        env_python, str(runners / "rave_pipeline.py"),
        "--input_path", str(tmp_path / "audio"), "--output_path", "./db",
        "--channels", "2", "--num_signal", "262144", "--", "rave",
    ]  # fmt: skip
    assert argv[12:13] == ["train"]
    assert argv[argv.index("--db_path") + 1] == "./db"
    # The preprocessing reads rave's default chunk at least.
    argv = build_command(config(tmp_path / "audio", env_python, n_signal=65536))
    assert argv[argv.index("--num_signal") + 1] == "131072"
