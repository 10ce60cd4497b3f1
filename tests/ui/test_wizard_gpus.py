"""The wizard's GPUs field with Pilot: checked as typed (a count, no more than the host
can ever give: counted from its recorded nvidia-smi output), consistent with the
device, shown on the confirmation and part of the config."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Static

from tests.gpus.support import write_gpu_config
from tests.ui.wizard_app import catalog, drain, field, host, note, notes, to_page, type_into, wizard
from tuitrain.ui.widgets.param_field import ParamField


@pytest.fixture
def two_gpus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The local host with two recorded H100s (``nvidia_smi`` in config.toml)."""
    home = tmp_path / "home"
    write_gpu_config(home)
    monkeypatch.setenv("TUITRAIN_HOME", str(home))


async def test_gpus_are_checked_as_typed_and_go_into_the_config(two_gpus: None) -> None:
    app = host(catalog(), hosts=["local"])
    async with app.run_test(size=(100, 30)) as pilot:
        await drain(pilot)
        await to_page(pilot, 2)
        screen = wizard(app)
        gpus = screen.query_one("#gpus", ParamField)
        assert gpus.raw == "0" and gpus.error is None
        for typed, reason in (
            ("-1", "gpus must be 0 or a positive integer"),
            ("two", "gpus must be 0 or a positive integer"),
            ("3", "local has 2 GPUs tuitrain may use"),
        ):
            await type_into(pilot, gpus, typed)
            await drain(pilot)
            assert gpus.error == reason and note(gpus) == reason, typed
        await pilot.press("ctrl+n")
        await drain(pilot)
        assert screen.page == 2 and notes(app)[-1] == "local has 2 GPUs tuitrain may use"
        assert gpus.editor.has_focus  # the field to fix

        await type_into(pilot, gpus, "2")
        await type_into(pilot, field(app, "yolo", "device"), "cpu")
        await drain(pilot)
        assert gpus.error == "device=cpu asks for no GPU, but the run asks for 2"
        await type_into(pilot, field(app, "yolo", "device"), "auto")
        await drain(pilot)
        assert gpus.error is None

        await to_page(pilot, 3)
        summary = str(screen.query_one("#summary", Static).render())
        assert "GPUs       waits for 2 GPUs on local (FIFO)" in summary
        command = str(screen.query_one("#command", Static).render())
        assert "device=0,1" in command  # the GPUs it is given, as the run sees them
        await pilot.press("ctrl+s")
        await drain(pilot)
    [config] = app.results
    assert config is not None
    assert config["gpus"] == 2 and config["params"]["device"] == "0,1"


async def test_no_gpus_asked_starts_at_once(two_gpus: None) -> None:
    app = host(catalog(), hosts=["local"])
    async with app.run_test(size=(100, 30)) as pilot:
        await drain(pilot)
        await to_page(pilot, 3)
        summary = str(wizard(app).query_one("#summary", Static).render())
        assert "GPUs       none requested: starts at once" in summary
        assert wizard(app).get_config()["gpus"] == 0


async def test_any_host_is_offered_with_several_hosts_and_needs_gpus(two_gpus: None) -> None:
    from textual.widgets import Select

    from tuitrain.gpus.request import ANY_HOST

    app = host(catalog(), hosts=["local", "gpu"])
    async with app.run_test(size=(100, 30)) as pilot:
        await drain(pilot)
        await to_page(pilot, 2)
        screen = wizard(app)
        choice = screen.query_one("#host", Select)
        assert [v for _label, v in choice._options if v is not Select.BLANK] == [
            "local",
            "gpu",
            ANY_HOST,
        ]
        host_note = screen.query_one("#host-note", Static)
        assert str(host_note.render()) == "where the training runs"
        choice.value = ANY_HOST
        await drain(pilot)
        reason = "any host: ask for 1 GPU or more (it picks a host with them free)"
        assert str(host_note.render()) == reason and host_note.has_class("-invalid")
        await pilot.press("ctrl+n")
        await drain(pilot)
        assert screen.page == 2 and notes(app)[-1] == reason
        await type_into(pilot, screen.query_one("#gpus", ParamField), "1")
        await drain(pilot)
        assert str(host_note.render()) == "where the training runs"
        await to_page(pilot, 3)
        summary = str(screen.query_one("#summary", Static).render())
        assert "waits for 1 GPU on any (FIFO)" in summary


async def test_one_host_offers_no_any(two_gpus: None) -> None:
    from textual.widgets import Select

    app = host(catalog(), hosts=["local"])
    async with app.run_test(size=(100, 30)) as pilot:
        await drain(pilot)
        await to_page(pilot, 2)
        choice = wizard(app).query_one("#host", Select)
        assert [v for _label, v in choice._options if v is not Select.BLANK] == ["local"]
