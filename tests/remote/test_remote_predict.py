"""Models of runs on an SSH host used for inference: offered with their host, fetched
once into ``$TUITRAIN_HOME/models/<id>/<name>`` (reused while the size matches), then
used locally; an unreachable host is one line, unless a fetched copy is there."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import FAST_ENGINE, cli
from tests.frameworks.real_support import write_environments
from tests.inference.trained import TrainedHome, train_tiny
from tests.remote.sshd import SshServer
from tuitrain.inference import (
    ModelLookupError,
    PredictableModel,
    find_model,
    predictable_models,
)
from tuitrain.inference.fetching import cache_path, fetch_weights
from tuitrain.paths import database_path
from tuitrain.store.db import Database
from tuitrain.store.experiments import ExperimentStore


def register_remote(
    home: Path, sshd: SshServer, weights: bytes | Path, name: str = "best.pt"
) -> int:
    """A COMPLETED run of host ``gpu`` whose ``weights/<name>`` is on the host; the
    model's id."""
    db = Database(database_path(home))
    try:
        store = ExperimentStore(db)
        exp = store.create(name="far", framework="yolo", status="COMPLETED", host="gpu")
        assert exp.id is not None
        run_dir = sshd.workdir / "runs" / f"{home.parent.name}-{exp.id}"  # one sshd per session
        (run_dir / "weights").mkdir(parents=True)
        remote = run_dir / "weights" / name
        if isinstance(weights, Path):
            shutil.copyfile(weights, remote)
        else:
            remote.write_bytes(weights)
        store.update(exp.id, run_dir=str(run_dir))
        (model,) = store.add_models(exp.id, "ultralytics", [(name, str(remote), {})])
        assert model.id is not None
        return model.id
    finally:
        db.dispose()


def _find(home: Path, spec: str) -> PredictableModel:
    db = Database(database_path(home))
    try:
        return find_model(ExperimentStore(db), spec)
    finally:
        db.dispose()


def test_a_remote_model_is_offered_fetched_once_and_refetched_when_changed(
    remote_home: Path, sshd: SshServer
) -> None:
    payload = bytes(range(256)) * 8192  # 2 MB: several chunks
    model_id = register_remote(remote_home, sshd, payload)
    db = Database(database_path(remote_home))
    try:
        (offered,) = predictable_models(ExperimentStore(db))
    finally:
        db.dispose()
    assert (offered.id, offered.host, offered.is_remote) == (model_id, "gpu", True)
    assert (
        offered.title() == f"model {model_id} (yolo best.pt of run {offered.experiment_id} on gpu)"
    )
    assert _find(remote_home, str(model_id)) == offered

    seen: list[tuple[int, int]] = []
    local = fetch_weights(offered, lambda d, t: seen.append((d, t)), home=remote_home)
    cached = remote_home / "models" / str(model_id) / "best.pt"
    assert local.path == str(cached) == str(cache_path(offered, remote_home)) and local.fetched
    assert cached.read_bytes() == payload
    assert len(seen) >= 2 and seen[-1] == (len(payload), len(payload))
    assert fetch_weights(local, home=remote_home) is local  # already here

    os.utime(cached, (1, 1))  # a marker: a fetch would write a new file
    again: list[tuple[int, int]] = []
    assert fetch_weights(offered, lambda d, t: again.append((d, t)), home=remote_home) == local
    assert again == [(len(payload), len(payload))] and cached.stat().st_mtime == 1

    Path(offered.path).write_bytes(b"retrained")  # another size on the host: fetched again
    fetch_weights(offered, home=remote_home)
    assert cached.read_bytes() == b"retrained"

    Path(offered.path).unlink()
    with pytest.raises(ModelLookupError, match=f"model {model_id}: its weights are gone from gpu"):
        fetch_weights(offered, home=remote_home)


def test_an_unreachable_host_is_one_line_unless_a_copy_was_fetched(
    remote_home: Path, sshd: SshServer
) -> None:
    model_id = register_remote(remote_home, sshd, b"weights" * 100)
    offered = _find(remote_home, str(model_id))
    (remote_home / "config.toml").write_text(sshd.hosts_toml(alias="tuitrain-closed"))
    with pytest.raises(ModelLookupError) as caught:
        fetch_weights(offered, home=remote_home)
    message = str(caught.value)
    assert message.startswith(f"model {model_id}: host gpu unreachable") and "\n" not in message
    assert not (remote_home / "models" / str(model_id)).exists()

    cached = remote_home / "models" / str(model_id) / "best.pt"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"weights" * 100)
    assert fetch_weights(offered, home=remote_home).path == str(cached)

    (remote_home / "config.toml").write_text("")  # the host was removed from config.toml
    with pytest.raises(ModelLookupError, match=r"host 'gpu' is no longer in config\.toml"):
        fetch_weights(offered, home=remote_home)


@pytest.fixture(scope="module")
def trained_yolo(tmp_path_factory: pytest.TempPathFactory) -> TrainedHome:
    return train_tiny(tmp_path_factory.mktemp("yolo"), "yolo")


def test_predict_fetches_a_remote_model_then_answers(
    remote_home: Path, sshd: SshServer, trained_yolo: TrainedHome
) -> None:
    write_environments(remote_home, yolo=trained_yolo.python)
    with (remote_home / "config.toml").open("a") as fh:
        fh.write(sshd.hosts_toml())
    model_id = register_remote(remote_home, sshd, Path(trained_yolo.model.path))
    image = str(trained_yolo.images[0])
    args = ("predict", str(model_id), image, "--conf", "0.0001", "--json")

    first = cli(remote_home, *args, check=True)
    cached = remote_home / "models" / str(model_id) / "best.pt"
    assert cached.read_bytes() == Path(trained_yolo.model.path).read_bytes()
    assert "best.pt: fetching 100% of" in first.stderr
    doc = json.loads(first.stdout)
    assert doc["model"]["id"] == model_id and doc["model"]["path"] == str(cached)
    assert doc["model"]["classes"] == {"0": "red", "1": "blue"}
    (answer,) = doc["images"]
    assert answer["ok"] and answer["boxes"]

    table = cli(remote_home, "predict", str(model_id), image, check=True)  # the cached copy
    assert f"model {model_id} (yolo best.pt of run" in table.stdout and "on gpu)" in table.stdout

    shutil.rmtree(cached.parent)
    (remote_home / "config.toml").write_text(
        (remote_home / "config.toml").read_text().replace("tuitrain-test", "tuitrain-closed")
    )
    down = cli(remote_home, *args)
    assert down.returncode == 2 and down.stdout == ""
    (line,) = down.stderr.strip().splitlines()
    assert f"model {model_id}: host gpu unreachable" in line


async def test_the_inference_screen_fetches_a_remote_model(
    remote_home: Path, sshd: SshServer, trained_yolo: TrainedHome
) -> None:
    from textual.message import Message
    from textual.widgets import DataTable, Input, Static

    from tests.ui.conftest import settle
    from tests.ui.test_inference import open_inference, type_into
    from tuitrain.ui.app import make_app
    from tuitrain.ui.screens.inference import InferenceScreen

    write_environments(remote_home, yolo=trained_yolo.python)
    config = remote_home / "config.toml"
    config.write_text(config.read_text() + sshd.hosts_toml(alias="tuitrain-closed"))
    model_id = register_remote(remote_home, sshd, Path(trained_yolo.model.path))
    fetching: list[InferenceScreen.WeightsFetching] = []

    def hook(message: Message) -> None:
        if isinstance(message, InferenceScreen.WeightsFetching):
            fetching.append(message)

    app = make_app(remote_home, **FAST_ENGINE)
    async with app.run_test(size=(100, 30), message_hook=hook) as pilot:
        screen = await open_inference(pilot)
        await settle(pilot, lambda: screen.selected_model() is not None)
        models = screen.query_one("#inference-models", DataTable)
        assert models.get_row_at(0)[2] == "yolo best.pt @gpu"
        status = screen.query_one("#inference-status", Static)
        await type_into(pilot, "#images", str(trained_yolo.images[0]))
        await pilot.press("ctrl+r")  # the host is down: one line, nothing fetched
        await settle(pilot, lambda: not screen.running and "stopped" in str(status.content))
        assert str(status.content).startswith(
            f"Inference stopped: model {model_id}: host gpu unreachable"
        )
        assert not (remote_home / "models").exists() and not fetching

        config.write_text(config.read_text().replace("tuitrain-closed", "tuitrain-test"))
        screen.query_one("#images", Input).focus()
        await pilot.press("ctrl+r")
        results = screen.query_one("#inference-results", DataTable)
        await settle(pilot, lambda: results.row_count == 1 and not screen.running, limit_s=120)
        assert (
            fetching
            and (fetching[-1].done, fetching[-1].total)
            == (Path(trained_yolo.model.path).stat().st_size,) * 2
        )
        assert str(status.content).startswith(f"model {model_id} loaded on cpu")
        assert screen.results[0].ok
        cached = remote_home / "models" / str(model_id) / "best.pt"
        assert cached.read_bytes() == Path(trained_yolo.model.path).read_bytes()
