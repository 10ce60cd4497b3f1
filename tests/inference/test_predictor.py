"""The runner's process as the client sees it: start-up failures, a hung runner, a
runner killed mid-session (reported, then restarted by the next request), and the
protocol's per-image errors."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

import pytest

from tests.inference.trained import TrainedHome
from tuitrain.frameworks.environments import Environment
from tuitrain.inference import PredictableModel, Predictor, PredictorError


def _model(path: str = "/models/best.pt") -> PredictableModel:
    return PredictableModel(path=path, framework="yolo", name="best.pt")


def _shell(script: str) -> Environment:
    """An environment whose "interpreter" is a shell script (the runner's arguments
    after it are ignored): a stand-in for a broken or hung environment."""
    return Environment("yolo", "local", "python", ("sh", "-c", script, "sh"), True)


def test_an_environment_that_cannot_start(tmp_path: Path) -> None:
    env = Environment("yolo", "local", str(tmp_path / "no-env" / "python"), (), True)
    with (
        Predictor(_model(), home=tmp_path, environment=env) as predictor,
        pytest.raises(PredictorError) as caught,
    ):
        predictor.start()
    assert str(caught.value) == (
        f"cannot start the yolo environment ({tmp_path / 'no-env' / 'python'}): "
        "No such file or directory"
    )


def test_a_runner_that_dies_while_loading_is_reported_with_its_log(tmp_path: Path) -> None:
    env = _shell("echo 'Traceback: loading went wrong' >&2; exit 3")
    with Predictor(_model(), home=tmp_path, environment=env) as predictor:
        with pytest.raises(PredictorError) as caught:
            predictor.start()
        assert str(caught.value) == (
            "the inference runner exited (code 3) while loading the model: "
            "Traceback: loading went wrong"
        )
        assert caught.value.log_tail.endswith("Traceback: loading went wrong")
        assert not predictor.running


def test_a_runner_that_never_answers_is_stopped(tmp_path: Path) -> None:
    env = _shell('echo $$ > "$0.pid"; exec sleep 60'.replace("$0", str(tmp_path / "runner")))
    predictor = Predictor(_model(), home=tmp_path, environment=env, start_timeout_s=1.0)
    with pytest.raises(PredictorError) as caught:
        predictor.start()
    assert str(caught.value).startswith(
        "the inference runner gave no answer in 1 s while loading the model; it was stopped"
    )
    pid = int((tmp_path / "runner.pid").read_text())
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # reaped, not left behind


def test_the_libraries_missing_is_one_line(tmp_path: Path) -> None:
    # tuitrain's own interpreter has no Ultralytics: the runner says so and exits.
    env = Environment("yolo", "local", sys.executable, (), True)
    weights = tmp_path / "best.pt"
    weights.write_bytes(b"x")
    with (
        Predictor(_model(str(weights)), home=tmp_path, environment=env) as predictor,
        pytest.raises(PredictorError) as caught,
    ):
        predictor.start()
    assert str(caught.value) == (
        f"cannot load {weights}: ModuleNotFoundError: No module named 'ultralytics'"
    )


def test_a_killed_runner_is_reported_then_restarted(
    trained_yolo: TrainedHome, in_yolo_home: Path
) -> None:
    model = _model(trained_yolo.model.path)
    image = str(trained_yolo.images[0])
    with Predictor(model) as predictor:
        ready = predictor.start()
        assert ready.framework == "yolo" and ready.classes == {0: "red", 1: "blue"}
        assert predictor.predict(image, conf=0.0001).ok
        assert predictor._proc is not None
        os.kill(predictor._proc.pid, signal.SIGKILL)
        with pytest.raises(PredictorError) as caught:
            predictor.predict(image)
        assert str(caught.value).startswith(
            f"the inference runner exited (code -9) while answering for {image}"
        )
        assert not predictor.running
        again = predictor.predict(image, conf=0.0001)  # a fresh runner
        assert again.ok and again.boxes
        assert predictor.running


def test_per_image_errors_keep_the_session(
    trained_yolo: TrainedHome, in_yolo_home: Path, tmp_path: Path
) -> None:
    text = tmp_path / "a.jpg"
    text.write_text("a text file with an image's name")
    with Predictor(_model(trained_yolo.model.path)) as predictor:
        bad = predictor.predict(str(text))
        folder = predictor.predict(str(tmp_path))
        out_of_range = predictor.predict(str(trained_yolo.images[0]), conf=1.5)
        good = predictor.predict(str(trained_yolo.images[0]), conf=0.0001)
        pid = predictor._proc.pid if predictor._proc else None
    assert (bad.ok, bad.error) == (False, f"not an image: {text}")
    assert (folder.ok, folder.error) == (False, f"a folder, not an image: {tmp_path}")
    assert out_of_range.error == "conf and iou must be between 0 and 1, got 1.5 and 0.7"
    assert good.ok and good.boxes
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)  # closed: end of input, and the runner is gone
